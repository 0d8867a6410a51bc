namespace ClaudeCache.Extensions.AI.Tests.Infrastructure;

/// <summary>Temporary files for tests, under one folder per test run.</summary>
public static class TempFiles
{
    private static readonly string Root = Directory.CreateTempSubdirectory("claudecache-tests-").FullName;

    public static string NewDatabasePath() => Path.Combine(Root, Guid.NewGuid().ToString("N") + ".db");
}
