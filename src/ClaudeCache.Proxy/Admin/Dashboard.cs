namespace ClaudeCache.Proxy.Admin;

/// <summary>The dashboard page and its vendored chart library (Chart.js 4.6.1, MIT), embedded in the executable: no front-end build step.</summary>
internal static class Dashboard
{
    public static Stream Open() => Resource("dashboard.html");

    public static Stream OpenChartLibrary() => Resource("chart.umd.min.js");

    private static Stream Resource(string name) =>
        typeof(Dashboard).Assembly.GetManifestResourceStream("ClaudeCache.Proxy.Admin.Dashboard." + name)
        ?? throw new InvalidOperationException($"The embedded resource {name} is missing from the build.");
}
