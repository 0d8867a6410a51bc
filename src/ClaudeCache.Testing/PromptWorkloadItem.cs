using System.Text;

namespace ClaudeCache.Testing;

/// <summary>One request of a <see cref="MixedPromptWorkload"/>.</summary>
/// <param name="Step">Items of the same step are sent together (a fan-out burst); steps go in order.</param>
/// <param name="At">When the step is sent, from the start of the workload (advance a fake clock to it).</param>
/// <param name="Kind"><c>chat</c>, <c>agent</c>, <c>fanout</c>, <c>repeat</c> or <c>oneoff</c>.</param>
/// <param name="Body">The Messages request body (compact JSON, no <c>cache_control</c>).</param>
/// <param name="IsStreaming">Whether the body has <c>"stream": true</c>.</param>
public sealed record PromptWorkloadItem(int Step, TimeSpan At, string Kind, string Body, bool IsStreaming)
{
    /// <summary>The body as UTF-8 bytes.</summary>
    public byte[] BodyBytes => Encoding.UTF8.GetBytes(Body);
}
