using ClaudeCache;
using ClaudeCache.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

#pragma warning disable IDE0130 // Extension methods live in the namespace of the type they extend, so they are found without a using.
namespace Microsoft.Extensions.AI;
#pragma warning restore IDE0130

/// <summary><c>ChatClientBuilder.UseClaudeCache(...)</c>.</summary>
public static class ClaudeCacheChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the <see cref="ClaudeCachingChatClient"/> middleware over the <see cref="CacheEngine"/> registered by
    /// <c>services.AddClaudeCache(...)</c> (its cache, its flights — shared with the handler and, on Redis, with other
    /// instances — and its savings ledger), with the <c>ClaudeCache:Chat</c> options, adjusted by <paramref name="configure"/>.
    /// </summary>
    public static ChatClientBuilder UseClaudeCache(this ChatClientBuilder builder, Action<ClaudeCacheChatOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var engine = services.GetService<CacheEngine>()
                ?? throw new InvalidOperationException("No CacheEngine is registered: call services.AddClaudeCache(...) first, or pass an engine to UseClaudeCache.");
            var configured = services.GetService<IOptions<ClaudeCacheOptions>>()?.Value.Chat;
            var options = Copy(configured ?? new ClaudeCacheChatOptions());
            configure?.Invoke(options);
            return new ClaudeCachingChatClient(inner, engine, options, services.GetService<ILogger<ClaudeCachingChatClient>>());
        });
    }

    /// <summary>
    /// Adds the middleware over <paramref name="engine"/> — its cache, flights and savings ledger
    /// (<see cref="CacheEngine.Ledger"/>) — for applications without dependency injection, with an engine from
    /// <c>ClaudeCacheEngineFactory.Create(...)</c>.
    /// </summary>
    public static ChatClientBuilder UseClaudeCache(this ChatClientBuilder builder, CacheEngine engine, Action<ClaudeCacheChatOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(engine);
        var options = new ClaudeCacheChatOptions();
        configure?.Invoke(options);
        return builder.Use((inner, services) =>
            new ClaudeCachingChatClient(inner, engine, options, services.GetService<ILogger<ClaudeCachingChatClient>>()));
    }

    // Each client gets its own copy: one builder's configure must not change the shared defaults.
    private static ClaudeCacheChatOptions Copy(ClaudeCacheChatOptions source) => new()
    {
        Partition = source.Partition,
        Namespace = source.Namespace,
        Tags = source.Tags,
        Strategy = source.Strategy,
        TimeToLive = source.TimeToLive,
        CoalesceStreamingUpdates = source.CoalesceStreamingUpdates,
        CoalesceConcurrentCalls = source.CoalesceConcurrentCalls,
        CacheKeyAdditionalValues = source.CacheKeyAdditionalValues,
        JsonSerializerOptions = source.JsonSerializerOptions,
    };
}
