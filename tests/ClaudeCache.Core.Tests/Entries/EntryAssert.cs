using ClaudeCache.Entries;

namespace ClaudeCache.Tests.Entries;

/// <summary>Field-by-field comparison: the record's generated equality compares memory by reference.</summary>
internal static class EntryAssert
{
    internal static void Equal(CachedResponse expected, CachedResponse? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.ExpiresAt, actual.ExpiresAt);
        Assert.Equal(expected.Strategy, actual.Strategy);
        Assert.Equal(expected.Model, actual.Model);
        Assert.Equal(expected.ContextType, actual.ContextType);
        Assert.Equal(expected.Namespace, actual.Namespace);
        Assert.Equal(expected.Body.ToArray(), actual.Body.ToArray());
        Assert.Equal(expected.RawSse.ToArray(), actual.RawSse.ToArray());
        Assert.Equal(expected.HasStream, actual.HasStream);
        Assert.Equal(expected.Headers, actual.Headers);
    }
}
