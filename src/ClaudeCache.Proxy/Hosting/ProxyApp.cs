using System.Net;
using ClaudeCache.Anthropic;
using ClaudeCache.Caching;
using ClaudeCache.Extensions.AI;
using ClaudeCache.Proxy.Admin;
using ClaudeCache.Proxy.Pipeline;
using ClaudeCache.Telemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>Builds the proxy: configuration, services, and the whole route table in one place.</summary>
public static class ProxyApp
{
    /// <summary>
    /// Creates the application. <paramref name="overrides"/> are configuration keys set last (the command line's
    /// options); <paramref name="configureServices"/> lets tests replace services (a fake clock).
    /// Relative paths (the SQLite file, the prices file, warming profiles, <paramref name="configFile"/>) resolve
    /// against the working directory at start, and its appsettings.json files are read after the binary's.
    /// </summary>
    public static WebApplication Create(
        string[] args,
        IReadOnlyDictionary<string, string?>? overrides = null,
        string? configFile = null,
        Action<IServiceCollection>? configureServices = null,
        string? environment = null)
    {
        // Captured once at start: the directory the user ran the command from (`dotnet run` starts us there too, see
        // RunWorkingDirectory in the .csproj). Relative paths resolve against it and its appsettings.json is read;
        // the binary's folder (~/.dotnet/tools/... for a tool) holds only the shipped defaults.
        var workingDirectory = Environment.CurrentDirectory;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = HostEnvironments.Resolve(environment),
        });

        // Rising precedence: the binary's appsettings.json < its appsettings.{Environment}.json < the working
        // directory's appsettings.json < its appsettings.{Environment}.json < --config file < environment < command line.
        WorkingDirectory.AddSettings(builder.Configuration, workingDirectory, builder.Environment.EnvironmentName);
        if (configFile is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile, workingDirectory), optional: false, reloadOnChange: false);
            builder.Configuration.AddEnvironmentVariables();
        }

        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);

        // YARP logs a warning with a stack trace for every pass-through request that fails; PassThroughEndpoint
        // reports those failures itself, once per kind of failure (UpstreamFailureLog).
        builder.Logging.AddFilter("Yarp.ReverseProxy.Forwarder.HttpForwarder", LogLevel.Error);
        AddServices(builder.Services, builder.Configuration);
        builder.Services.PostConfigure<ProxyOptions>(options => WorkingDirectory.ResolvePaths(options, workingDirectory));
        builder.Services.PostConfigure<ClaudeCacheOptions>(options => WorkingDirectory.ResolvePaths(options, workingDirectory));
        configureServices?.Invoke(builder.Services);

        var proxy = builder.Configuration.GetSection(ProxyOptions.SectionName).Get<ProxyOptions>() ?? new ProxyOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (proxy.Port is < 0 or > 65535)
            {
                return; // reported by the options validator at start-up, with the key's name
            }

            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = proxy.MaxRequestBodyBytes + 1;
            void Envelope(ListenOptions listen) => KestrelRejectionEnvelope.UseOn(listen, kestrel.Limits);
            if (proxy.BindAddress is "*" )
            {
                kestrel.ListenAnyIP(proxy.Port, Envelope);
            }
            else if (proxy.BindAddress == "localhost")
            {
                kestrel.ListenLocalhost(proxy.Port, Envelope);
            }
            else if (IPAddress.TryParse(proxy.BindAddress, out var address))
            {
                kestrel.Listen(address, proxy.Port, Envelope);
            }
        });

        var app = builder.Build();
        app.MarkApplicationResponses();
        app.UseMiddleware<ErrorEnvelopeMiddleware>();

        // One line on start and one on stop whatever the log level (Production logs warnings only): a user who
        // runs the proxy sees where it listens and which store it opened. Registered before the routes, so the
        // stop line comes after the drain of answers in flight (token callbacks run in reverse order).
        app.Lifetime.ApplicationStarted.Register(() => Console.Out.WriteLine(StartupBanner.Started(app)));
        app.Lifetime.ApplicationStopped.Register(() => Console.Out.WriteLine(StartupBanner.Stopped()));
        MapRoutes(app);
        return app;
    }

    /// <summary>
    /// Registers the engine — composed once, by <c>AddClaudeCache(...).AddRedisStore()</c>, exactly as the library
    /// composes it (docs/request-path.md) — and the proxy's own parts on top: endpoints, admin, alerts, warming.
    /// </summary>
    public static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(ProxyOptions.SectionName);
        services.AddOptions<ProxyOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProxyOptions>, ProxyOptionsValidator>();
        services.AddClaudeCache(configuration).AddRedisStore();
        services.AddSingleton<UpstreamClient>();
        // Answers in flight at shutdown are still stored (they were paid for): drained after Kestrel stops, before the
        // stores close, without blocking a thread.
        services.AddHostedService<FlightDrainService>();
        services.AddSingleton<AlertMonitor>();
        services.AddHostedService<Warming.ScheduledWarming>();
        services.AddSingleton<AdminTokenFilter>();
        services.AddHttpClient(AlertMonitor.WebhookClientName, client => client.Timeout = TimeSpan.FromSeconds(5));
        var telemetry = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("claudecache")).WithMetrics(metrics => metrics
            .AddMeter(ClaudeCacheMetrics.MeterName)
            .AddPrometheusExporter(o =>
            {
                o.ScrapeResponseCacheDurationMilliseconds = 0;
                // One meter: an otel_scope_name label on every series says nothing.
                o.ScopeInfoEnabled = false;
            }));
        if (OtlpTraces.IsConfigured(configuration))
        {
            // The exporter reads the standard OTEL_EXPORTER_OTLP_* variables itself (protocol, headers, timeout).
            telemetry.WithTracing(tracing => tracing.AddSource(ClaudeCacheTracing.SourceName).AddOtlpExporter());
        }
        services.AddSingleton<RequestLimits>();
        services.AddSingleton<MessagesEndpoint>();
        services.AddSingleton<PassThroughEndpoint>();
        services.AddHttpForwarder();
        services.AddHttpClient(UpstreamClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
                RequestHeaderEncodingSelector = UpstreamRequest.HeaderEncoding,
                ConnectTimeout = sp.GetRequiredService<IOptions<ProxyOptions>>().Value.UpstreamConnectTimeout,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            })
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan);
    }

    /// <summary>The whole route table.</summary>
    private static void MapRoutes(WebApplication app)
    {
        var messages = app.Services.GetRequiredService<MessagesEndpoint>();
        var passThrough = app.Services.GetRequiredService<PassThroughEndpoint>();
        app.MapPost("/v1/messages", (HttpContext context) => messages.HandleAsync(context, RequestEndpoint.Messages));
        app.MapPost("/v1/messages/count_tokens", (HttpContext context) => messages.HandleAsync(context, RequestEndpoint.CountTokens));
        app.Map("/v1/{**rest}", passThrough.HandleAsync);
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapAdminEndpoints();

        // Start evaluating alert rules now, not on the first admin request.
        app.Services.GetRequiredService<AlertMonitor>();

        // On Redis: connect in the background and subscribe the backplane now (the cache starts its stores when it is made).
        app.Services.GetRequiredService<ResponseCache>();
    }
}
