using System.CommandLine;
using System.Globalization;
using ClaudeCache.Proxy.Hosting;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Cli;

/// <summary><c>claudecache serve</c>: runs the proxy.</summary>
internal static class ServeCommand
{
    /// <summary>The command's help: what it reads, in order, so a user knows where a setting can go.</summary>
    public const string Description =
        "Run the caching proxy (the default command). Settings are read in this order, each overriding the previous: " +
        "appsettings.json and appsettings.{Environment}.json next to the binary; appsettings.json and " +
        "appsettings.{Environment}.json in the working directory; the --config file; CLAUDECACHE__* environment " +
        "variables (e.g. CLAUDECACHE__PORT); these options. Relative paths (--db, --config, Costs:PricesFile, warming " +
        "profiles) are relative to the working directory.";

    public static Command Create()
    {
        var port = new Option<int?>("--port") { Description = "Port to listen on (default 8787)." };
        var upstream = new Option<string?>("--upstream") { Description = "Base URL of the Anthropic API (default https://api.anthropic.com)." };
        var db = new Option<string?>("--db") { Description = "SQLite file of the cache (default claudecache.db in the working directory)." };
        var bind = new Option<string?>("--bind") { Description = "Address to listen on (default 127.0.0.1)." };
        var redis = new Option<string?>("--redis") { Description = "Share the cache through Redis: a connection string (host:port, several cluster nodes, or a Sentinel with serviceName=...)." };
        var adminToken = new Option<string?>("--admin-token") { Description = "Token for /admin/* and the dashboard's data (16+ characters)." };
        var config = new Option<string?>("--config") { Description = "A JSON configuration file (keys under \"ClaudeCache\"); read after the appsettings files." };
        var environment = new Option<string?>("--environment") { Description = "Development, Staging or Production, case-insensitive (default: ASPNETCORE_ENVIRONMENT or DOTNET_ENVIRONMENT, else Production); selects appsettings.{Environment}.json. Any other name is refused." };
        var command = new Command("serve", Description) { port, upstream, db, bind, redis, adminToken, config, environment };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(port) is { } p)
            {
                overrides["ClaudeCache:Port"] = p.ToString(CultureInfo.InvariantCulture);
            }

            if (parse.GetValue(upstream) is { } u)
            {
                overrides["ClaudeCache:Upstream"] = u;
            }

            if (parse.GetValue(db) is { } d)
            {
                overrides["ClaudeCache:Storage:SqlitePath"] = d;
            }

            if (parse.GetValue(redis) is { } r)
            {
                overrides["ClaudeCache:Storage:Provider"] = "redis";
                overrides["ClaudeCache:Storage:Redis:Configuration"] = r;
            }

            if (parse.GetValue(adminToken) is { } t)
            {
                overrides["ClaudeCache:AdminToken"] = t;
            }

            if (parse.GetValue(bind) is { } b)
            {
                overrides["ClaudeCache:BindAddress"] = b;
            }

            return await RunAsync(overrides, parse.GetValue(config), parse.GetValue(environment), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs until stopped; a configuration error is a message on stderr and exit code 2.</summary>
    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string?> overrides, string? configFile, string? environment, CancellationToken cancellationToken)
    {
        try
        {
            var app = ProxyApp.Create([], overrides, configFile, environment: environment);
            await using (app.ConfigureAwait(false))
            {
                await app.RunAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync("claudecache: invalid configuration:").ConfigureAwait(false);
            foreach (var failure in ex.Failures)
            {
                await Console.Error.WriteLineAsync("  - " + failure).ConfigureAwait(false);
            }

            return 2;
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or FormatException or InvalidOperationException)
        {
            // A missing or malformed configuration file, an unknown environment, or a value that does not bind
            // (e.g. "Port": "abc").
            await Console.Error.WriteLineAsync("claudecache: " + ConfigurationErrors.Describe(ex)).ConfigureAwait(false);
            return 2;
        }
    }
}
