using Karma.Serving.Configuration;
using Karma.Serving.Model;
using Karma.Serving.Services;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Karma.Serving.Hosting;

/// <summary>Wiring of the service: options, model host, gRPC with health and reflection, HTTP/1 probes.</summary>
public static class ServingExtensions
{
    private const string ReadyTag = "ready";

    /// <summary>Registers everything the service needs and binds the two Kestrel endpoints.</summary>
    public static WebApplicationBuilder AddKarmaServing(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ServingOptions>()
            .BindConfiguration(ServingOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.DefaultRecallK is null || o.DefaultRecallK <= o.MaxRecallK, "Karma:DefaultRecallK must not exceed Karma:MaxRecallK")
            .Validate(o => o.DrainDelaySeconds < o.ShutdownTimeoutSeconds, "Karma:DrainDelaySeconds must be less than Karma:ShutdownTimeoutSeconds")
            .Validate(o => ServingOptions.DecodeCacheHmacKey(o.CacheHmacKey) is not null, ServingOptions.CacheHmacKeyError)
            .ValidateOnStart();
        var options = builder.Configuration.GetSection(ServingOptions.Section).Get<ServingOptions>() ?? new ServingOptions();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownTimeoutSeconds));
        builder.Services.AddSingleton<ShutdownDrain>();
        builder.Services.AddHostedService(s => s.GetRequiredService<ShutdownDrain>());
        ReserveThreadPoolHeadroom(options.ConcurrentCallLimit);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxConcurrentConnections = options.MaxConnections;
            k.Limits.Http2.MaxStreamsPerConnection = options.MaxStreamsPerConnection;
            k.ListenAnyIP(options.GrpcPort, l => l.Protocols = HttpProtocols.Http2);
            k.ListenAnyIP(options.HttpPort, l => l.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddSingleton<Core.Telemetry.KarmaTelemetry>();
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddSingleton<UserEmbeddingCache>();
        if (string.IsNullOrWhiteSpace(options.CacheRedis))
        {
            builder.Services.AddDistributedMemoryCache();
        }
        else
        {
            builder.Services.AddStackExchangeRedisCache(o => o.ConfigurationOptions = RedisConfiguration(options));
        }

        builder.AddKarmaTelemetry();
        builder.Services.AddHostedService<ModelLoaderService>();
        builder.Services.AddSingleton<CallAdmission>();
        builder.Services.AddSingleton<ErrorMappingInterceptor>();
        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<ErrorMappingInterceptor>();
            o.MaxReceiveMessageSize = 4 * 1024 * 1024;
            o.EnableDetailedErrors = false;
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddHealthChecks().AddCheck<ModelReadyHealthCheck>("model", tags: [ReadyTag]);
        builder.Services.AddGrpcHealthChecks(o =>
        {
            o.UseHealthChecksCache = false;
            o.Services.Map("", r => r.Tags.Contains(ReadyTag));
            o.Services.Map("karma.v1.Retrieval", r => r.Tags.Contains(ReadyTag));
        });
        return builder;
    }

    /// <summary>
    /// Admitted calls run their CPU-bound stages on thread-pool threads. With fewer pool threads than admitted calls,
    /// new arrivals (including the ones to refuse, and health probes) wait in the pool's queue until the pool grows
    /// (about one thread per half second). Enough threads up front for every admitted call plus one per core means an
    /// arrival always finds a thread; threads are only created when needed.
    /// </summary>
    private static void ReserveThreadPoolHeadroom(int admittedCalls)
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        int wanted = admittedCalls + Environment.ProcessorCount + 2;
        if (workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, io);
        }
    }

    /// <summary>
    /// Redis settings for a cache that must never hold a call up: no failure at connect, short timeouts, and
    /// background reconnection (StackExchange.Redis retries by itself).
    /// </summary>
    private static StackExchange.Redis.ConfigurationOptions RedisConfiguration(ServingOptions options)
    {
        var c = StackExchange.Redis.ConfigurationOptions.Parse(options.CacheRedis);
        c.AbortOnConnectFail = false;
        c.ConnectTimeout = Math.Max(options.CacheTimeoutMs * 4, 200);
        c.SyncTimeout = options.CacheTimeoutMs;
        c.AsyncTimeout = options.CacheTimeoutMs;
        c.ConnectRetry = 1;
        c.ReconnectRetryPolicy = new StackExchange.Redis.LinearRetry(250);
        return c;
    }

    /// <summary>Maps the gRPC services and the HTTP probes.</summary>
    public static WebApplication MapKarmaServing(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<RetrievalService>();
        app.MapGrpcService<AdminService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new() { Predicate = r => r.Tags.Contains(ReadyTag) });
        return app;
    }
}
