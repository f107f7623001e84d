using Karma.Serving.Configuration;
using Karma.Serving.Model;
using Karma.Serving.Services;
using Karma.Serving.Wire;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Hosting;

/// <summary>Wiring of the service: options, model host, gRPC with health and reflection, HTTP/1 probes.</summary>
public static class ServingExtensions
{
    private const string ReadyTag = "ready";

    /// <summary>
    /// Maps the endpoints (<see cref="MapKarmaServing"/>) and runs the service until it stops; returns the process exit code. Settings that can never work end it at once with
    /// one line per problem on standard error and exit code 2 (no stack trace: the host's own start-up logging is not
    /// reached), so a misconfigured container fails its start instead of running without serving.
    /// </summary>
    public static int RunKarmaServing(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            _ = app.Services.GetRequiredService<IOptions<ServingOptions>>().Value;
        }
        catch (OptionsValidationException e)
        {
            foreach (string failure in e.Failures)
            {
                Console.Error.WriteLine($"karma-serving: configuration error: {failure}");
            }

            return 2;
        }

        app.MapKarmaServing();
        app.Run();
        return 0;
    }

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
            .Validate(o => ListenAddresses.IsValid(o.ListenAddress), ListenAddresses.Problem(nameof(ServingOptions.ListenAddress)))
            .Validate(o => ListenAddresses.IsValid(o.AdminListenAddress), ListenAddresses.Problem(nameof(ServingOptions.AdminListenAddress)))
            .Validate(o => o.GrpcPort == 0 || o.GrpcPort != o.HttpPort, "Karma:GrpcPort and Karma:HttpPort must differ")
            .Validate(o => o.AdminPort == 0 || (o.AdminPort != o.GrpcPort && o.AdminPort != o.HttpPort),
                "Karma:AdminPort must differ from Karma:GrpcPort and Karma:HttpPort (0 serves admin on the gRPC port)")
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ServingOptions>, ModelPathValidation>();
        var options = builder.Configuration.GetSection(ServingOptions.Section).Get<ServingOptions>() ?? new ServingOptions();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownTimeoutSeconds));
        builder.Services.AddSingleton<ShutdownDrain>();
        builder.Services.AddHostedService(s => s.GetRequiredService<ShutdownDrain>());
        ReserveThreadPoolHeadroom(options.ConcurrentCallLimit);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxConcurrentConnections = options.MaxConnections;
            k.Limits.Http2.MaxStreamsPerConnection = options.MaxStreamsPerConnection;
        });
        builder.Services.AddSingleton<Core.Telemetry.KarmaTelemetry>();
        builder.Services.AddSingleton<ItemLogReplayer>();
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddSingleton<ModelRoots>();
        builder.Services.AddSingleton<UserEmbeddingCache>();
        if (string.IsNullOrWhiteSpace(options.CacheRedis))
        {
            // Each entry's size is its value's length in bytes (MemoryDistributedCache), so the limit is in bytes.
            builder.Services.AddDistributedMemoryCache(o => o.SizeLimit = (long)options.CacheMemoryMb * 1024 * 1024);
        }
        else
        {
            builder.Services.AddStackExchangeRedisCache(o => o.ConfigurationOptions = RedisConfiguration(options));
        }

        builder.AddKarmaTelemetry();
        builder.Services.AddHostedService<ModelLoaderService>();
        builder.Services.AddHostedService<ItemLogFollower>();
        builder.Services.AddSingleton<CallAdmission>();
        builder.Services.AddSingleton<CallMetricsInterceptor>();
        builder.Services.AddSingleton<DeadlineInterceptor>();
        builder.Services.AddSingleton<ErrorMappingInterceptor>();
        builder.Services.AddGrpc(o =>
        {
            // Outermost first: the metrics see the status the caller gets, the deadline check sees mapped errors.
            o.Interceptors.Add<CallMetricsInterceptor>();
            o.Interceptors.Add<DeadlineInterceptor>();
            o.Interceptors.Add<ErrorMappingInterceptor>();
            o.MaxReceiveMessageSize = 4 * 1024 * 1024;
            o.EnableDetailedErrors = false;
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddHealthChecks().AddCheck<ModelReadyHealthCheck>("model", tags: [ReadyTag]);
        // The health-check service logs every Unhealthy probe as an Error: one per readiness probe while a model loads
        // (113 of a test run's 126 error lines). Not-ready-yet is expected, answered by the probe itself, and a failed
        // load is logged once by the model loader; only the service's own failures (Critical) get through.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.Critical);
        builder.Services.AddGrpcHealthChecks(o =>
        {
            o.UseHealthChecksCache = false;
            o.Services.Map("", r => r.Tags.Contains(ReadyTag));
            o.Services.Map("karma.v1.Retrieval", r => r.Tags.Contains(ReadyTag));
        });
        builder.AddKarmaWire(options);
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

    /// <summary>
    /// Maps the gRPC services on the gRPC listener (admin on its own listener when <c>Karma:AdminPort</c> is set) and the
    /// probes and metrics on the HTTP listener only, behind the wire checks.
    /// </summary>
    public static WebApplication MapKarmaServing(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<ServingOptions>>().Value;
        var grpc = new ServedOnAttribute(KarmaListener.Grpc);
        var http = new ServedOnAttribute(KarmaListener.Http);
        app.UseKarmaWire();
        app.UseMiddleware<CallAdmissionMiddleware>();
        // Retrieval first: grpc-dotnet attaches its catch-all for unknown services to the first mapped service, so
        // UNIMPLEMENTED for an unknown service is answered on the gRPC listener only.
        app.MapGrpcService<RetrievalService>().WithMetadata(grpc);
        app.MapGrpcService<AdminService>().WithMetadata(options.AdminPort == 0 ? grpc : new ServedOnAttribute(KarmaListener.Admin));
        app.MapGrpcHealthChecksService().WithMetadata(grpc);
        app.MapGrpcReflectionService().WithMetadata(grpc);
        app.MapPrometheusScrapingEndpoint("/metrics").WithMetadata(http);
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false }).WithMetadata(http);
        app.MapHealthChecks("/readyz", new() { Predicate = r => r.Tags.Contains(ReadyTag) }).WithMetadata(http);
        return app;
    }
}
