namespace ClaudeCache.Keys;

/// <summary>How requests are divided into tenants that never see each other's cache entries.</summary>
public enum TenantMode
{
    /// <summary>One partition per credential (API key or bearer token). The safe default.</summary>
    PerCredential,

    /// <summary>
    /// One partition for every caller: anyone who can reach the proxy can read any cached answer.
    /// Only for a single application or a trusted team sharing one cache.
    /// </summary>
    Shared,
}
