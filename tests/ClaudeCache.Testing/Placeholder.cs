namespace ClaudeCache.Testing;

internal static class Placeholder;
