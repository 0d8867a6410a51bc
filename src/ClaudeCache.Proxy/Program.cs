using ClaudeCache.Proxy.Cli;

return await ClaudeCacheCli.RunAsync(args).ConfigureAwait(false);
