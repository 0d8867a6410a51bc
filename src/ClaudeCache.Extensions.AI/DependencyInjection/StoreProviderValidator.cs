using Microsoft.Extensions.Options;

namespace ClaudeCache.Extensions.AI.DependencyInjection;

/// <summary>
/// Under dependency injection, a provider other than the built-in ones must have been added by its package:
/// <c>redis</c> without <c>AddRedisStore()</c> stops the application at start-up with what to do about it.
/// </summary>
internal sealed class StoreProviderValidator(IEnumerable<ClaudeCacheStoreProvider> providers) : IValidateOptions<ClaudeCacheOptions>
{
    private readonly HashSet<string> _registered = [.. providers.Select(p => p.Name)];

    public ValidateOptionsResult Validate(string? name, ClaudeCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var provider = options.Storage.Provider;
        if (provider is "sqlite" or "memory" || _registered.Contains(provider))
        {
            return ValidateOptionsResult.Success;
        }

        // Names that are not providers at all are reported by ClaudeCacheOptionsValidator.
        return provider == "redis"
            ? ValidateOptionsResult.Fail(
                "ClaudeCache:Storage:Provider is 'redis', but the Redis store is not registered: add the ClaudeCache.Extensions.AI.Redis "
                + "package and call services.AddClaudeCache(...).AddRedisStore().")
            : ValidateOptionsResult.Skip;
    }
}
