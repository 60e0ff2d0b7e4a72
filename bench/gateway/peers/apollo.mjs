// Apollo Gateway over a static supergraph file, one process (no cluster), for bench/gateway.
//   NODE_ENV=production node apollo.mjs <supergraph.graphql> <port> [host]
// Answers GraphQL on any path (so /graphql works) and GET /health once the gateway has loaded.
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const [file = 'supergraph.graphql', port = '4000', host = '127.0.0.1'] = process.argv.slice(2);
const gateway = new ApolloGateway({ supergraphSdl: readFileSync(file, 'utf8') });
const server = new ApolloServer({ gateway, introspection: false });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(port), host },
});
console.log(`apollo gateway ready at ${url}`);
