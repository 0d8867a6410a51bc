using System.Text;

namespace ClaudeCache.Testing;

/// <summary>One request of a generated workload.</summary>
/// <param name="ContextType"><c>property_analysis</c>, <c>lead_qualification</c>, <c>market_analysis</c>, <c>explanation</c> or <c>coaching</c>.</param>
/// <param name="Body">The Messages request body (JSON).</param>
/// <param name="UserText">The last user message's text.</param>
/// <param name="IsStreaming">Whether the body has <c>"stream": true</c>.</param>
/// <param name="IsRepeat">Whether this item repeats an earlier item of the same workload byte for byte.</param>
public sealed record WorkloadItem(string ContextType, string Body, string UserText, bool IsStreaming, bool IsRepeat)
{
    /// <summary>The body as UTF-8 bytes.</summary>
    public byte[] BodyBytes => Encoding.UTF8.GetBytes(Body);
}
