using ClaudeCache.Storage.Redis;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Extensions.AI.Redis;

/// <summary>
/// When Redis is the provider, checks <c>ClaudeCache:Storage:Redis:*</c> with the cache's own options, so a bad value
/// stops the application at start-up (<c>ValidateOnStart</c>) naming its key, as the proxy's validator does.
/// </summary>
internal sealed class RedisStorageValidator(IOptions<RedisStoreOptions> redis) : IValidateOptions<ClaudeCacheOptions>
{
    /// <summary>Where the settings live under the <c>ClaudeCache</c> section.</summary>
    public const string SectionPath = "Storage:Redis";

    public ValidateOptionsResult Validate(string? name, ClaudeCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Storage.Provider != Microsoft.Extensions.DependencyInjection.ClaudeCacheRedisBuilderExtensions.ProviderName)
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = redis.Value.Validate(ClaudeCacheOptions.SectionName + ":" + SectionPath);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
