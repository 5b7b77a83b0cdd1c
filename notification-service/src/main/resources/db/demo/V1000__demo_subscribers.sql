-- Demo tenants and users of the local platform (profile "demo" only).
INSERT INTO subscribers (tenant_id, user_id, email, phone, roles) VALUES
    ('acme',   'alice', 'alice@acme.example', '+15550100001', '{admin,editor}'),
    ('acme',   'bob',   'bob@acme.example',   '+15550100002', '{editor}'),
    ('acme',   'carol', 'carol@acme.example', NULL,           '{viewer}'),
    ('globex', 'dave',  'dave@globex.example', '+15550200001', '{admin}')
ON CONFLICT DO NOTHING;
