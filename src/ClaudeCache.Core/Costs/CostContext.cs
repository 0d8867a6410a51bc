namespace ClaudeCache.Costs;

/// <summary>What a request's price depends on besides its model and usage.</summary>
/// <param name="Batch">Sent through the Batch API (also inferred from <c>usage.service_tier: "batch"</c>).</param>
/// <param name="InferenceGeo">The request's <c>inference_geo</c>; a region (for example <c>us</c>) costs more on families that say so.</param>
/// <param name="Speed">The request's <c>speed</c> (for example <c>fast</c>), or null for standard.</param>
public readonly record struct CostContext(bool Batch = false, string? InferenceGeo = null, string? Speed = null)
{
    /// <summary>
    /// True when <see cref="InferenceGeo"/> pins a region. Null, <c>global</c> and <c>not_available</c> (what the API
    /// reports when no geography was requested) are not regional.
    /// </summary>
    public bool IsRegional =>
        !string.IsNullOrEmpty(InferenceGeo)
        && !string.Equals(InferenceGeo, "global", StringComparison.OrdinalIgnoreCase)
        && !string.Equals(InferenceGeo, "not_available", StringComparison.OrdinalIgnoreCase);
}
