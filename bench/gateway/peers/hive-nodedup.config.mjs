// Hive Gateway variant "hive-nodedup" in run.py: Hive deduplicates identical in-flight
// *subgraph* requests by default; this turns that off, so that, like our gateway and Apollo
// Gateway, it sends every fetch its plan calls for (the like-for-like comparison).
export const gatewayConfig = {
  transportEntries: {
    '*.http': { options: { deduplicateInflightRequests: false } },
  },
};
