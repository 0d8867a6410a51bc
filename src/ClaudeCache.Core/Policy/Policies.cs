using System.Buffers;

namespace ClaudeCache.Policy;

/// <summary>Small helpers shared by the policy types.</summary>
internal static class Policies
{
    private const int MaxEcho = 40;

    /// <summary>The characters of a namespace or a tag: <c>A-Z a-z 0-9 . _ : -</c>.</summary>
    public static readonly SearchValues<char> LabelChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    /// <summary>A header value cut short for an error message: enough to recognise, never a wall of text.</summary>
    public static string Shorten(ReadOnlySpan<char> value) =>
        value.Length <= MaxEcho ? value.ToString() : string.Concat(value[..MaxEcho], "…");
}
