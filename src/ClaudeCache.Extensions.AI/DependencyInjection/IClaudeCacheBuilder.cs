using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Extensions.AI;

/// <summary>
/// Returned by <c>services.AddClaudeCache(...)</c>, for what other packages add to the cache — such as the Redis store
/// (<c>.AddRedisStore()</c>, package <c>ClaudeCache.Extensions.AI.Redis</c>), so applications that do not use Redis
/// never reference its client.
/// </summary>
public interface IClaudeCacheBuilder
{
    /// <summary>The services the cache was registered in.</summary>
    IServiceCollection Services { get; }

    /// <summary>
    /// The configuration section the options were bound from (the <c>ClaudeCache</c> section), where extensions
    /// read their own keys; null when the options are set in code only.
    /// </summary>
    IConfiguration? Configuration { get; }
}
