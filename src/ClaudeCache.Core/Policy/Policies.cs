namespace ClaudeCache.Policy;

/// <summary>Small helpers shared by the policy types.</summary>
internal static class Policies
{
    private const int MaxEcho = 40;

    /// <summary>A header value cut short for an error message: enough to recognise, never a wall of text.</summary>
    public static string Shorten(ReadOnlySpan<char> value) =>
        value.Length <= MaxEcho ? value.ToString() : string.Concat(value[..MaxEcho], "…");
}
