using System.Reflection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.AspNetCore.Server;
using Grpc.Core;

namespace Karma.Serving.Wire;

/// <summary>
/// The services reflection lists on a listener: those with a method endpoint served there. grpc-dotnet's own
/// reflection lists every mapped gRPC service, so with admin on its own port the public port would still have
/// advertised <c>karma.v1.Admin</c>; listing what routing serves on the listener keeps the two in step.
/// </summary>
public static class ListenerReflection
{
    /// <summary>Descriptors of the services served on <paramref name="listener"/>.</summary>
    public static IReadOnlyList<ServiceDescriptor> ServicesOn(EndpointDataSource endpoints, KarmaListener listener)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.Endpoints
            .Where(e => e.Metadata.GetMetadata<ServedOnAttribute>()?.Allows(listener) == true)
            .Select(e => e.Metadata.GetMetadata<GrpcMethodMetadata>()?.ServiceType)
            .OfType<Type>()
            .Distinct()
            .Select(Descriptor)
            .OfType<ServiceDescriptor>()
            .DistinctBy(d => d.FullName)
            .ToList();
    }

    /// <summary>The generated <c>Descriptor</c> of a service implementation (found as grpc-dotnet finds it).</summary>
    private static ServiceDescriptor? Descriptor(Type serviceType)
    {
        for (Type? type = serviceType; type is not null; type = type.BaseType)
        {
            var bind = type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false);
            if (bind is not null)
            {
                return bind.BindType.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as ServiceDescriptor;
            }
        }

        return null;
    }
}
