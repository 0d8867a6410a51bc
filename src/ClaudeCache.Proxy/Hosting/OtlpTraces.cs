namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// Whether the proxy exports traces: only when an OTLP endpoint is configured (the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, from the environment or any other configuration source). Otherwise no tracer
/// provider exists, nothing listens to the product's activity source, and a request builds no span at all.
/// </summary>
internal static class OtlpTraces
{
    /// <summary>True when traces are to be exported over OTLP.</summary>
    public static bool IsConfigured(IConfiguration configuration)
    {
        // The SDK's own switches: OpenTelemetry off altogether, or no trace exporter wanted.
        if (string.Equals(configuration["OTEL_SDK_DISABLED"], "true", StringComparison.OrdinalIgnoreCase)
            || string.Equals(configuration["OTEL_TRACES_EXPORTER"], "none", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Only the general endpoint: with the exporter registered as here, the traces-only OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
        // alone did not get spans to a collector at that address, so it does not switch tracing on.
        return !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
    }
}
