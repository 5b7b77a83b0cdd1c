// Validates an AsyncAPI 3 document with the official parser, then every Avro payload with avsc
// (the library behind @asyncapi/avro-schema-parser), with the shared named types of
// src/main/avro/common registered first. Exits non-zero on any error.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Parser, fromFile } from '@asyncapi/parser';
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import avsc from 'avsc';

const file = resolve(process.argv[2] ?? '../asyncapi.yaml');
const parser = new Parser();
parser.registerSchemaParser(AvroSchemaParser());

const { document, diagnostics } = await fromFile(parser, file).parse();
const errors = diagnostics.filter((d) => d.severity === 0);
for (const d of diagnostics) {
  const where = d.path?.length ? d.path.join('.') : '(document)';
  console.log(`${d.severity === 0 ? 'ERROR' : 'warning'} ${where}: ${d.message}`);
}
if (!document || errors.length > 0) {
  console.error(`[asyncapi] ${file} is not valid: ${errors.length} error(s)`);
  process.exit(1);
}

const registry = {};
const commonDir = join(dirname(file), 'src/main/avro/common');
for (const name of readdirSync(commonDir).filter((f) => f.endsWith('.avsc')).sort()) {
  avsc.Type.forSchema(JSON.parse(readFileSync(join(commonDir, name), 'utf8')), { registry });
}

// The parser has converted each Avro payload through @asyncapi/avro-schema-parser; check the
// referenced .avsc files themselves too, and that every contract of src/main/avro is documented.
const raw = readFileSync(file, 'utf8');
const referenced = new Set([...raw.matchAll(/\$ref: '(\.\/src\/main\/avro\/[^']+\.avsc)'/g)].map((m) => m[1]));
const problems = [];
let payloads = 0;
for (const ref of referenced) {
  try {
    avsc.Type.forSchema(JSON.parse(readFileSync(join(dirname(file), ref), 'utf8')), {
      registry: { ...registry },
    });
    payloads++;
  } catch (e) {
    problems.push(`${ref}: invalid Avro schema: ${e.message}`);
  }
}
const eventsDir = join(dirname(file), 'src/main/avro/events');
for (const name of readdirSync(eventsDir).filter((f) => f.endsWith('.avsc'))) {
  if (!referenced.has(`./src/main/avro/events/${name}`)) {
    problems.push(`${name} is not described by any message of ${file}`);
  }
}
for (const message of document.allMessages()) {
  if (!message.hasPayload() || !message.schemaFormat().startsWith('application/vnd.apache.avro')) {
    problems.push(`${message.id()}: no Avro payload`);
  }
}
if (problems.length > 0) {
  problems.forEach((p) => console.error(`ERROR ${p}`));
  process.exit(1);
}
console.log(
  `[asyncapi] ${file} is valid AsyncAPI ${document.version()}: ` +
    `${document.channels().length} channels, ${document.operations().length} operations, ` +
    `${payloads} Avro payloads checked`);
