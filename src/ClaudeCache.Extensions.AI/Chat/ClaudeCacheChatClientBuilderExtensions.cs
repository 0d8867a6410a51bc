using ClaudeCache.Caching;
using ClaudeCache.Extensions.AI.Chat;
using ClaudeCache.Extensions.AI.DependencyInjection;
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
    /// Adds the <see cref="ClaudeCachingChatClient"/> middleware over the <see cref="ResponseCache"/> registered by
    /// <c>services.AddClaudeCache(...)</c>, with the <c>ClaudeCache:Chat</c> options, adjusted by <paramref name="configure"/>.
    /// </summary>
    public static ChatClientBuilder UseClaudeCache(this ChatClientBuilder builder, Action<ClaudeCacheChatOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var cache = services.GetService<ResponseCache>()
                ?? throw new InvalidOperationException("No ResponseCache is registered: call services.AddClaudeCache(...) first, or pass a cache to UseClaudeCache.");
            var configured = services.GetService<IOptions<ClaudeCacheOptions>>()?.Value.Chat;
            var options = Copy(configured ?? new ClaudeCacheChatOptions());
            configure?.Invoke(options);
            return new ClaudeCachingChatClient(inner, cache, options, services.GetService<TimeProvider>(), services.GetService<ILogger<ClaudeCachingChatClient>>());
        });
    }

    /// <summary>Adds the middleware over an explicit <paramref name="cache"/> (no dependency injection needed).</summary>
    public static ChatClientBuilder UseClaudeCache(this ChatClientBuilder builder, ResponseCache cache, Action<ClaudeCacheChatOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cache);
        var options = new ClaudeCacheChatOptions();
        configure?.Invoke(options);
        return builder.Use((inner, services) =>
            new ClaudeCachingChatClient(inner, cache, options, services.GetService<TimeProvider>(), services.GetService<ILogger<ClaudeCachingChatClient>>()));
    }

    // Each client gets its own copy: one builder's configure must not change the shared defaults.
    private static ClaudeCacheChatOptions Copy(ClaudeCacheChatOptions source) => new()
    {
        Partition = source.Partition,
        Namespace = source.Namespace,
        Strategy = source.Strategy,
        TimeToLive = source.TimeToLive,
        CoalesceStreamingUpdates = source.CoalesceStreamingUpdates,
        CoalesceConcurrentCalls = source.CoalesceConcurrentCalls,
        CacheKeyAdditionalValues = source.CacheKeyAdditionalValues,
        JsonSerializerOptions = source.JsonSerializerOptions,
    };
}
