-- One database per service (and one for the registry), as the local platform has them.
CREATE DATABASE gateway;
CREATE DATABASE notification;
CREATE DATABASE publishing;
CREATE DATABASE email_worker;
CREATE DATABASE whatsapp_worker;
CREATE DATABASE push_worker;
CREATE DATABASE registry;
