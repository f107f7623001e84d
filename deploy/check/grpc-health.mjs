// grpc.health.v1.Health/Check from an independent client (grpc-js), the call Kubernetes' grpc probe makes.
// Usage: node grpc-health.mjs HOST:PORT SERVICE EXPECTED   (EXPECTED: SERVING or NOT_SERVING); exit 0 if it matches.
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

const [target, service, expected] = process.argv.slice(2);
const definition = protoLoader.loadSync(fileURLToPath(new URL("health.proto", import.meta.url)), { enums: String });
const { Health } = grpc.loadPackageDefinition(definition).grpc.health.v1;
const client = new Health(target, grpc.credentials.createInsecure());
client.Check({ service }, { deadline: Date.now() + 3000 }, (error, response) => {
  const status = error ? `error ${error.code} ${error.details}` : response.status;
  console.log(`health(${JSON.stringify(service)}) at ${target}: ${status}`);
  client.close();
  process.exit(status === expected ? 0 : 1);
});
