namespace ClaudeCache.Proxy.Admin;

/// <summary>What an alert rule watches.</summary>
public enum AlertKind
{
    /// <summary>Fires when hits ÷ requests over the window falls below the threshold (0..1).</summary>
    HitRatioBelow,

    /// <summary>Fires when upstream spend over the window, per hour, exceeds the threshold (USD).</summary>
    SpendPerHourAbove,

    /// <summary>Fires when store failures ÷ requests over the window exceed the threshold (0..1).</summary>
    StoreErrorRateAbove,

    /// <summary>Fires when upstream errors ÷ requests over the window exceed the threshold (0..1).</summary>
    UpstreamErrorRateAbove,
}
