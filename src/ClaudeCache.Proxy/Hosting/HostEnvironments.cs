namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// The environments the proxy ships settings for. Any other name would silently run with no
/// appsettings.{Environment}.json at all (a typo such as "Prod"), so it is refused.
/// </summary>
internal static class HostEnvironments
{
    public static readonly IReadOnlyList<string> Names = ["Development", "Staging", "Production"];

    /// <summary>
    /// The environment to run: <paramref name="requested"/> (<c>--environment</c>), else ASPNETCORE_ENVIRONMENT, else
    /// DOTNET_ENVIRONMENT, spelled as its settings file is (file names are case-sensitive on Linux); null when none
    /// is set (Production).
    /// </summary>
    /// <exception cref="InvalidOperationException">The name is not one of <see cref="Names"/>.</exception>
    public static string? Resolve(string? requested)
    {
        var (source, name) = requested is not null ? ("--environment", requested)
            : Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is { Length: > 0 } aspnet ? ("ASPNETCORE_ENVIRONMENT", aspnet)
            : Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 } dotnet ? ("DOTNET_ENVIRONMENT", dotnet)
            : (null, null);
        if (name is null)
        {
            return null;
        }

        return Names.FirstOrDefault(n => n.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"{source} '{name}' is not an environment: use one of {string.Join(", ", Names)} (case-insensitive).");
    }
}
