using ClaudeCache.Extensions.AI;
using Microsoft.Extensions.Configuration.Json;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// The directory the user ran <c>claudecache</c> from: relative paths resolve against it and its appsettings.json
/// files are read, so a global tool (whose binary lives in ~/.dotnet/tools) behaves like <c>dotnet run</c>.
/// </summary>
internal static class WorkingDirectory
{
    /// <summary>
    /// Adds <c>appsettings.json</c> and <c>appsettings.{environment}.json</c> of <paramref name="directory"/> (both
    /// optional) right after the binary's own, so they override the binary's and are overridden by the environment
    /// and the command line.
    /// </summary>
    public static void AddSettings(IConfigurationBuilder configuration, string directory, string environment)
    {
        if (SamePath(directory, AppContext.BaseDirectory))
        {
            return; // the binary's folder: already read
        }

        var sources = configuration.Sources;
        var index = 0;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource)
            {
                index = i + 1;
            }
        }

        foreach (var name in new[] { "appsettings.json", $"appsettings.{environment}.json" })
        {
            var source = new JsonConfigurationSource { Path = Path.Combine(directory, name), Optional = true, ReloadOnChange = false };
            source.ResolveFileProvider();
            sources.Insert(index++, source);
        }
    }

    /// <summary>Makes the engine's file paths (database, prices file) absolute, against <paramref name="directory"/>.</summary>
    public static void ResolvePaths(ClaudeCacheOptions options, string directory)
    {
        if (!string.IsNullOrWhiteSpace(options.Storage.SqlitePath) && options.Storage.SqlitePath != ":memory:")
        {
            options.Storage.SqlitePath = Path.GetFullPath(options.Storage.SqlitePath, directory);
        }

        if (!string.IsNullOrWhiteSpace(options.Costs.PricesFile))
        {
            options.Costs.PricesFile = Path.GetFullPath(options.Costs.PricesFile, directory);
        }
    }

    /// <summary>Makes the warming profiles' file paths absolute, against <paramref name="directory"/>.</summary>
    public static void ResolvePaths(ProxyOptions options, string directory)
    {
        foreach (var profile in options.Warming.Profiles)
        {
            if (!string.IsNullOrWhiteSpace(profile.File))
            {
                profile.File = Path.GetFullPath(profile.File, directory);
            }
        }
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);
}
