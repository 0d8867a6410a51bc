namespace ClaudeCache.Warming;

/// <summary>
/// One request of a <see cref="WarmingProfile"/>: a Messages API body, sent as it is, and the cache's own headers
/// (<c>x-cache-context</c>, <c>x-cache-strategy</c>, <c>x-cache-namespace</c>, <c>anthropic-beta</c>...) that make its
/// key and policy the same as the real traffic's. Credentials never live in a profile: the sender adds them.
/// </summary>
/// <param name="Name">A label for progress and failures (<c>#3</c> when the profile gives none).</param>
/// <param name="Body">The request body, JSON text.</param>
/// <param name="Headers">Extra request headers; never <c>x-api-key</c> or <c>authorization</c>.</param>
/// <param name="PrewarmPrompt">
/// A prompt-cache pre-warm (<c>"prewarmPrompt": true</c>): <see cref="Body"/> is the entry's request with
/// <c>max_tokens: 0</c> and no stream, sent with the proxy's breakpoints, so Anthropic's prompt cache holds its prefix;
/// nothing is generated and the response cache keeps nothing.
/// </param>
public sealed record WarmingRequest(string Name, string Body, IReadOnlyDictionary<string, string> Headers, bool PrewarmPrompt = false);
