using ClaudeCache.Policy;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Extensions.AI.DependencyInjection;

/// <summary>Checks <see cref="ClaudeCacheOptions"/> when they are first used, naming each bad key.</summary>
public sealed class ClaudeCacheOptionsValidator : IValidateOptions<ClaudeCacheOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ClaudeCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.UpstreamTimeout <= TimeSpan.Zero)
        {
            errors.Add("ClaudeCache:UpstreamTimeout must be positive.");
        }

        // 'redis' comes from its own package (AddRedisStore), which validates ClaudeCache:Storage:Redis.
        if (options.Storage.Provider is not ("sqlite" or "memory" or "redis"))
        {
            errors.Add($"ClaudeCache:Storage:Provider must be 'sqlite', 'redis' or 'memory', not '{options.Storage.Provider}'.");
        }

        if (options.Storage.Provider == "sqlite" && string.IsNullOrWhiteSpace(options.Storage.SqlitePath))
        {
            errors.Add("ClaudeCache:Storage:SqlitePath must name a file.");
        }

        if (options.Storage.MaxBytes < 1024 * 1024)
        {
            errors.Add("ClaudeCache:Storage:MaxBytes must be at least 1 MiB.");
        }

        if (options.Cache.Validate() is { } cacheError)
        {
            errors.Add(cacheError);
        }

        if (options.Chat.TimeToLive <= TimeSpan.Zero)
        {
            errors.Add("ClaudeCache:Chat:TimeToLive must be positive.");
        }

        if (string.IsNullOrEmpty(options.Chat.Partition))
        {
            errors.Add("ClaudeCache:Chat:Partition must not be empty.");
        }

        if (options.Costs.PricesFile is { Length: > 0 } prices && !File.Exists(prices))
        {
            errors.Add($"ClaudeCache:Costs:PricesFile '{prices}' does not exist.");
        }

        if (options.Costs.LedgerFlushInterval <= TimeSpan.Zero)
        {
            errors.Add("ClaudeCache:Costs:LedgerFlushInterval must be positive.");
        }

        var strategies = new StrategyOptionsValidator().Validate(name, options.Strategies);
        if (strategies.Failed)
        {
            errors.AddRange(strategies.Failures);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
