using System.Reflection;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Karma.Serving.Wire;

/// <summary>
/// Binds a generated gRPC service's methods the way grpc-dotnet's default <c>BinderServiceMethodProvider</c> does
/// (the generated <c>BindService(ServiceBinderBase, TBase)</c>, the overriding instance method as the invoker, the
/// service's and method's attributes as endpoint metadata, POST only), but with a request marshaller whose parse
/// failures are INVALID_ARGUMENT naming the method and the message type.
/// <para>
/// Why a provider: grpc-dotnet deserializes the request in the call handler (<c>UnaryServerCallHandler</c> →
/// <c>ReadSingleMessageAsync</c> → the method's <c>RequestMarshaller</c>) before interceptors run, and answers any
/// exception there UNKNOWN "Exception was thrown by handler." with an Error log entry; its only hook on that path is
/// the <see cref="Method{TRequest, TResponse}"/> an <see cref="IServiceMethodProvider{TService}"/> registers. Parsing
/// once, in the marshaller, costs nothing extra (a middleware that parsed to validate would parse every body twice).
/// </para>
/// </summary>
public sealed class ValidatingServiceMethodProvider<TService> : IServiceMethodProvider<TService>
    where TService : class
{
    /// <inheritdoc />
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (Type? type = typeof(TService); type is not null; type = type.BaseType)
        {
            // Generated base classes carry [BindServiceMethod(typeof(Service), "BindService")].
            var attribute = type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false);
            if (attribute is null)
            {
                continue;
            }

            var bind = attribute.BindType.GetMethod(attribute.BindMethodName, BindingFlags.Public | BindingFlags.Static, null,
                [typeof(ServiceBinderBase), type], null)
                ?? throw new InvalidOperationException($"{attribute.BindType}.{attribute.BindMethodName}(ServiceBinderBase, {type.Name}) not found");
            bind.Invoke(null, [new Binder(context, type), null]);
            return;
        }
    }

    /// <summary>Adds each method the generated code binds, with its request marshaller guarded.</summary>
    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type declaringType) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
            => context.AddUnaryMethod(Guarded(method), Metadata(method.Name, typeof(TRequest), typeof(ServerCallContext), out var m),
                Invoker<Grpc.AspNetCore.Server.Model.UnaryServerMethod<TService, TRequest, TResponse>>(m));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
            => context.AddServerStreamingMethod(Guarded(method),
                Metadata(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext), out var m),
                Invoker<Grpc.AspNetCore.Server.Model.ServerStreamingServerMethod<TService, TRequest, TResponse>>(m));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
            => context.AddClientStreamingMethod(Guarded(method),
                Metadata(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext), out var m),
                Invoker<Grpc.AspNetCore.Server.Model.ClientStreamingServerMethod<TService, TRequest, TResponse>>(m));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
            => context.AddDuplexStreamingMethod(Guarded(method),
                Metadata(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext), out var m),
                Invoker<Grpc.AspNetCore.Server.Model.DuplexStreamingServerMethod<TService, TRequest, TResponse>>(m));

        private static TDelegate Invoker<TDelegate>(MethodInfo method) where TDelegate : Delegate
            => (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), method);

        /// <summary>The service's override of the generated method, and the endpoint metadata grpc-dotnet would give it.</summary>
        private List<object> Metadata(string name, Type p1, Type p2, out MethodInfo method)
            => Metadata(name, [p1, p2], out method);

        private List<object> Metadata(string name, Type p1, Type p2, Type p3, out MethodInfo method)
            => Metadata(name, [p1, p2, p3], out method);

        private List<object> Metadata(string name, Type[] parameters, out MethodInfo method)
        {
            method = Find(name, parameters) ?? throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true)); // type first: lower priority
            metadata.AddRange(method.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return metadata;
        }

        /// <summary>The public instance method overriding the generated base's virtual one (a hiding method is skipped).</summary>
        private MethodInfo? Find(string name, Type[] parameters)
        {
            for (Type? type = typeof(TService); type is not null; type = type.BaseType)
            {
                var method = type.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, null, parameters, null);
                if (method is null)
                {
                    return null;
                }

                if (method.IsVirtual && method.GetBaseDefinition().DeclaringType == declaringType)
                {
                    return method;
                }
            }

            return null;
        }
    }

    /// <summary><paramref name="method"/> with a request deserializer that refuses unparsable bodies with INVALID_ARGUMENT.</summary>
    private static Method<TRequest, TResponse> Guarded<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class
    {
        var inner = method.RequestMarshaller;
        string detail = $"{method.FullName}: the request body is not a valid {MessageName(typeof(TRequest))} protobuf message";
        var marshaller = new Marshaller<TRequest>(inner.ContextualSerializer, context =>
        {
            try
            {
                return inner.ContextualDeserializer(context);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Google.Protobuf throws InvalidProtocolBufferException for most damage, but e.g. invalid UTF-8 in a
                // string field surfaces as a DecoderFallbackException: whatever parsing throws, the body is at fault.
                // The exception itself (type, offsets) stays on the server, never in the reply.
                throw WireRefusalException.Refuse(StatusCode.InvalidArgument, RefusalKind.Unparsable, detail);
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    private static string MessageName(Type type)
        => (type.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as MessageDescriptor)?.FullName ?? type.Name;
}
