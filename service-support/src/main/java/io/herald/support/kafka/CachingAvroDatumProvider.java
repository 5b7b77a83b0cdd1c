package io.herald.support.kafka;

import io.apicurio.registry.serde.avro.DefaultAvroDatumProvider;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Apicurio's datum provider with its readers and writers cached by schema instance.
 *
 * <p>The default provider computes the schema's parsing fingerprint on every record to find its
 * cached reader or writer; for Herald's nested schemas that took a third of notification-service's
 * CPU under load. The serde hands over the same {@link Schema} instance for a given schema (the
 * generated class's schema when writing, the resolver's cached schema when reading), so an identity
 * lookup finds it; a schema seen for the first time falls through to the default.
 *
 * <p>Set by the Herald defaults as {@code apicurio.registry.avro-datum-provider}.
 */
public class CachingAvroDatumProvider<T> extends DefaultAvroDatumProvider<T> {

  /** More distinct schemas than this means instances are not reused: stop caching. */
  private static final int MAX_ENTRIES = 1024;

  private final Map<Identity, DatumReader<T>> readers = new ConcurrentHashMap<>();
  private final Map<Identity, DatumWriter<T>> specificWriters = new ConcurrentHashMap<>();
  private final Map<Identity, DatumWriter<T>> genericWriters = new ConcurrentHashMap<>();

  @Override
  public DatumWriter<T> createDatumWriter(T data, Schema schema) {
    Map<Identity, DatumWriter<T>> cache =
        data instanceof SpecificRecord ? specificWriters : genericWriters;
    Identity key = new Identity(schema);
    DatumWriter<T> writer = cache.get(key);
    if (writer == null) {
      writer = super.createDatumWriter(data, schema);
      if (cache.size() < MAX_ENTRIES) {
        cache.put(key, writer);
      }
    }
    return writer;
  }

  @Override
  public DatumReader<T> createDatumReader(Schema schema) {
    Identity key = new Identity(schema);
    DatumReader<T> reader = readers.get(key);
    if (reader == null) {
      reader = super.createDatumReader(schema);
      if (readers.size() < MAX_ENTRIES) {
        readers.put(key, reader);
      }
    }
    return reader;
  }

  /** A schema compared by identity: {@link Schema#equals} walks the whole schema. */
  private record Identity(Schema schema) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Identity o && o.schema == schema;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(schema);
    }
  }
}
