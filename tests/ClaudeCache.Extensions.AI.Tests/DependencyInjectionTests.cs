using ClaudeCache.Caching;
using ClaudeCache.Extensions.AI.Tests.Infrastructure;
using ClaudeCache.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Extensions.AI.Tests;

/// <summary><c>services.AddClaudeCache(configuration)</c>, <c>AddHttpClient(...).AddClaudeCache()</c> and <c>UseClaudeCache()</c>.</summary>
public sealed class DependencyInjectionTests
{
    private static IConfiguration Configuration(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public async Task AddClaudeCache_BindsTheProxysSection()
    {
        var database = TempFiles.NewDatabasePath();
        var services = new ServiceCollection().AddClaudeCache(Configuration(new()
        {
            ["ClaudeCache:Storage:SqlitePath"] = database,
            ["ClaudeCache:Strategies:StandardTtl"] = "00:30:00",
            ["ClaudeCache:Chat:Partition"] = "team-a",
            ["ClaudeCache:Port"] = "8787",
        })).Services;
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ClaudeCacheOptions>>().Value;
        Assert.Equal(database, options.Storage.SqlitePath);
        Assert.Equal(TimeSpan.FromMinutes(30), options.Strategies.StandardTtl);
        Assert.Equal("team-a", options.Chat.Partition);
        Assert.NotNull(provider.GetRequiredService<ResponseCache>().SecondTier);
        Assert.NotNull(provider.GetRequiredService<CacheEngine>());
    }

    [Fact]
    public async Task AddClaudeCache_RejectsInvalidOptions_NamingTheKey()
    {
        var services = new ServiceCollection().AddClaudeCache(Configuration(new() { ["ClaudeCache:Storage:Provider"] = "floppy" })).Services;
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<CacheEngine>());
        Assert.Contains("ClaudeCache:Storage:Provider", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpClientBuilder_AddClaudeCache_CachesTheSdksCalls()
    {
        await using var upstream = await FakeAnthropicUpstream.StartAsync();
        var services = new ServiceCollection().AddClaudeCache(o => o.Storage.Provider = "memory").Services;
        services.AddHttpClient("anthropic").AddClaudeCache();
        await using var provider = services.BuildServiceProvider();
        using var sdk = new global::Anthropic.AnthropicClient
        {
            ApiKey = "sk-ant-di",
            BaseUrl = upstream.BaseAddress.ToString(),
            MaxRetries = 0,
            HttpClient = provider.GetRequiredService<IHttpClientFactory>().CreateClient("anthropic"),
        };
        var ct = TestContext.Current.CancellationToken;

        await sdk.Messages.Create(HandlerTests.Params("Through DI"), ct);
        await sdk.Messages.Create(HandlerTests.Params("Through DI"), ct);

        Assert.Equal(1, upstream.MessagesCalls);
    }

    [Fact]
    public async Task UseClaudeCache_TakesTheCacheAndChatOptionsFromServices()
    {
        var services = new ServiceCollection().AddClaudeCache(o =>
        {
            o.Storage.Provider = "memory";
            o.Chat.Namespace = "tests";
        }).Services;
        var calls = 0;
        services.AddChatClient(new TestChatClient { GetResponseAsyncCallback = (_, _, _) => { calls++; return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Hi"))); } })
            .UseClaudeCache(o => o.TimeToLive = TimeSpan.FromMinutes(5));
        await using var provider = services.BuildServiceProvider();
        var chat = provider.GetRequiredService<IChatClient>();
        var ct = TestContext.Current.CancellationToken;

        await chat.GetResponseAsync("hello", cancellationToken: ct);
        await chat.GetResponseAsync("hello", cancellationToken: ct);

        var middleware = chat.GetService<ClaudeCachingChatClient>()!;
        Assert.Equal("tests", middleware.Options.Namespace);
        Assert.Equal(TimeSpan.FromMinutes(5), middleware.Options.TimeToLive);
        Assert.Equal(1, calls);
    }
}
