using ClaudeCache.Extensions.AI;

#pragma warning disable IDE0130 // Extension methods live in the namespace of the type they extend, so they are found without a using.
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Adds the <see cref="ClaudeCacheHandler"/> to a named or typed <see cref="System.Net.Http.HttpClient"/>.</summary>
public static class ClaudeCacheHttpClientBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="ClaudeCacheHandler"/> to this client's handler pipeline; register the engine first with
    /// <c>services.AddClaudeCache(configuration)</c>. Give the resulting client to the Anthropic SDK
    /// (<c>new AnthropicClient { HttpClient = factory.CreateClient("anthropic") }</c>).
    /// </summary>
    public static IHttpClientBuilder AddClaudeCache(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddHttpMessageHandler(sp => sp.GetRequiredService<ClaudeCacheHandler>());
    }
}
