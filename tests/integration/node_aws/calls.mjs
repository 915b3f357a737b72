// The AWS SDK for JavaScript v3 (node's statically linked OpenSSL: the preload's TLS hooks never
// see it) against ENDPOINT. Prints one line per call: the operation, then "ok" or the error name.
//   node calls.mjs ENDPOINT
import { RDSClient, DescribeDBInstancesCommand, DeleteDBInstanceCommand } from "@aws-sdk/client-rds";
import { S3Client, GetObjectCommand, DeleteObjectCommand } from "@aws-sdk/client-s3";

const endpoint = process.argv[2];
const common = {
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  maxAttempts: 1,
};
const rds = new RDSClient(common);
const s3 = new S3Client({ ...common, forcePathStyle: true });

async function attempt(name, send) {
  try {
    await send();
    console.log(`${name} ok`);
  } catch (e) {
    console.log(`${name} ${e.name} ${JSON.stringify(e.message || "").slice(0, 300)}`);
  }
}

await attempt("DescribeDBInstances", () => rds.send(new DescribeDBInstancesCommand({})));
await attempt("DeleteDBInstance", () =>
  rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: "db1", SkipFinalSnapshot: true })));
await attempt("GetObject", async () => {
  const out = await s3.send(new GetObjectCommand({ Bucket: "full-bucket", Key: "a.txt" }));
  await out.Body.transformToString();
});
await attempt("DeleteObject", () => s3.send(new DeleteObjectCommand({ Bucket: "full-bucket", Key: "a.txt" })));
