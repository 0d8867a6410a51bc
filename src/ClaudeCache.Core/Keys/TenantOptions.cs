namespace ClaudeCache.Keys;

/// <summary>How the tenant partition of a request is chosen (configuration section <c>ClaudeCache:Tenant</c>).</summary>
public sealed class TenantOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "ClaudeCache:Tenant";

    /// <summary>Per credential (default) or one shared partition.</summary>
    public TenantMode Mode { get; set; } = TenantMode.PerCredential;

    /// <summary>The partition's name in <see cref="TenantMode.Shared"/> mode.</summary>
    public string SharedPartitionName { get; set; } = "default";
}
