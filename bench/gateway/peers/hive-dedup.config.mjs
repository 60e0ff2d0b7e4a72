// Optional Hive Gateway variant ("hive-dedup" in run.py): what The Guild's benchmark runs —
// identical in-flight requests share one execution. Not the default comparison, because our
// gateway and Apollo Gateway do not deduplicate inbound requests.
export const gatewayConfig = {
  inboundInflightRequestDeduplication: true,
};
