using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Grpc.Reflection;
using Karma.Serving.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Karma.Serving.Wire;

/// <summary>
/// The service's wire protection: listeners bound to the configured addresses and told apart in routing, request bodies
/// checked before any handler (content-type, frames, protobuf parsing), refusals counted and logged without flooding,
/// reflection limited to what a listener serves.
/// </summary>
public static class WireExtensions
{
    /// <summary>grpc-dotnet's per-call logger (<c>ServerCallHandlerBase</c>).</summary>
    public const string GrpcCallHandlerCategory = "Grpc.AspNetCore.Server.ServerCallHandler";

    /// <summary>Binds the listeners and registers the wire services; call after <c>AddGrpc</c>, reflection and health.</summary>
    public static WebApplicationBuilder AddKarmaWire(this WebApplicationBuilder builder, ServingOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        builder.WebHost.ConfigureKestrel(k =>
        {
            ListenAddresses.Listen(k, options.ListenAddress, options.GrpcPort, l => Configure(l, HttpProtocols.Http2, KarmaListener.Grpc));
            ListenAddresses.Listen(k, options.ListenAddress, options.HttpPort, l => Configure(l, HttpProtocols.Http1, KarmaListener.Http));
            if (options.AdminPort != 0)
            {
                ListenAddresses.Listen(k, options.AdminListenAddress, options.AdminPort, l => Configure(l, HttpProtocols.Http2, KarmaListener.Admin));
            }
        });

        // grpc-dotnet logs every call that fails outside a handler: an Error entry with the stack trace for an exception
        // (≈110 lines per malformed request) and an Information entry with one for a failed read. Clients trigger these at
        // will, so the category is off; GrpcWireMiddleware logs those calls instead, briefly and at most once a second per
        // kind, and handler failures are logged once by ErrorMappingInterceptor.
        builder.Logging.AddFilter(GrpcCallHandlerCategory, LogLevel.None);

        var services = builder.Services;
        // Replace grpc-dotnet's binder (internal, so found by name) rather than add beside it: two providers would bind
        // every method twice. Fail at start if it is not there, instead of serving without the guarded marshaller.
        var binder = services.FirstOrDefault(d => d.ServiceType == typeof(IServiceMethodProvider<>)
                                                  && d.ImplementationType?.FullName == "Grpc.AspNetCore.Server.Model.Internal.BinderServiceMethodProvider`1")
                     ?? throw new InvalidOperationException("grpc-dotnet's BinderServiceMethodProvider is not registered; call AddKarmaWire after AddGrpc");
        services.Remove(binder);
        services.AddSingleton(typeof(IServiceMethodProvider<>), typeof(ValidatingServiceMethodProvider<>));

        // After grpc-dotnet's setup has added its default gzip and deflate providers.
        services.PostConfigure<GrpcServiceOptions>(o => o.CompressionProviders = o.CompressionProviders
            .Select(p => p as GuardedCompressionProvider ?? new GuardedCompressionProvider(p, o.MaxReceiveMessageSize ?? int.MaxValue))
            .ToList<Grpc.Net.Compression.ICompressionProvider>());

        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerMatcherPolicy>());
        services.AddSingleton<RefusalLog>();

        // Reflection lists what the public gRPC listener serves (not admin when it has its own port).
        services.RemoveAll<ReflectionServiceImpl>();
        services.RemoveAll<ReflectionV1ServiceImpl>();
        services.AddSingleton(s => new ReflectionServiceImpl(ListenerReflection.ServicesOn(s.GetRequiredService<EndpointDataSource>(), KarmaListener.Grpc)));
        services.AddSingleton(s => new ReflectionV1ServiceImpl(ListenerReflection.ServicesOn(s.GetRequiredService<EndpointDataSource>(), KarmaListener.Grpc)));
        return builder;
    }

    /// <summary>Puts <see cref="GrpcWireMiddleware"/> in the pipeline (it runs after routing: it needs the endpoint).</summary>
    public static WebApplication UseKarmaWire(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<GrpcWireMiddleware>();
        return app;
    }

    private static void Configure(ListenOptions listen, HttpProtocols protocols, KarmaListener listener)
    {
        listen.Protocols = protocols;
        var feature = new KarmaListenerFeature(listener);
        listen.Use(next => connection =>
        {
            connection.Features.Set(feature);
            return next(connection);
        });
    }
}
