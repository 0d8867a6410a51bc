namespace ClaudeCache.Testing;

/// <summary>The usage the fake reported, summed over every message it answered (errors excluded).</summary>
/// <param name="Replies">Messages answered.</param>
/// <param name="InputTokens">Sum of <c>input_tokens</c>.</param>
/// <param name="CacheCreation5m">Sum of <c>cache_creation.ephemeral_5m_input_tokens</c>.</param>
/// <param name="CacheCreation1h">Sum of <c>cache_creation.ephemeral_1h_input_tokens</c>.</param>
/// <param name="CacheRead">Sum of <c>cache_read_input_tokens</c>.</param>
/// <param name="OutputTokens">Sum of <c>output_tokens</c>.</param>
public sealed record FakeUsageTotals(int Replies, long InputTokens, long CacheCreation5m, long CacheCreation1h, long CacheRead, long OutputTokens)
{
    /// <summary>
    /// The input cost in units of the model's input-token price, at Anthropic's prompt-cache multipliers: input ×1,
    /// 5-minute writes ×1.25, 1-hour writes ×2, reads ×0.1.
    /// </summary>
    public double InputCost => InputTokens + (CacheCreation5m * 1.25) + (CacheCreation1h * 2.0) + (CacheRead * 0.1);
}
