using System.Text.RegularExpressions;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Karma.Serving.Contracts.V1;

namespace Karma.Serving.Tests;

/// <summary>
/// Every grpcurl call in examples/grpcurl.md, made as grpcurl makes it: the <c>-d</c> body parsed as the method's
/// request in the protobuf JSON mapping (with the descriptors the server's reflection serves), the <c>-H</c> headers
/// sent, the call made on the real server and answered OK. grpcurl itself is not installable here (no Debian
/// package), so this checks everything of an example except grpcurl's own transport.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed partial class GrpcurlExampleTests(ServerFixture server)
{
    private static readonly FileDescriptor[] Files =
    [
        RetrievalReflection.Descriptor, AdminReflection.Descriptor, Grpc.Health.V1.HealthReflection.Descriptor,
    ];

    public static TheoryData<int, string> Calls()
    {
        var data = new TheoryData<int, string>();
        string[] lines = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "examples", "grpcurl.md"));
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("grpcurl ", StringComparison.Ordinal) && lines[i].Contains(" -d ", StringComparison.Ordinal))
            {
                data.Add(i + 1, lines[i]);
            }
        }

        return data;
    }

    [Fact]
    public void The_examples_cover_every_retrieval_method()
    {
        var called = Calls().Select(row => (string)row[1]).Select(c => GrpcurlCall().Match(c).Groups["method"].Value).ToHashSet();
        foreach (var method in RetrievalReflection.Descriptor.Services.Single().Methods)
        {
            Assert.Contains($"karma.v1.Retrieval/{method.Name}", called);
        }
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task Documented_call_succeeds_against_the_real_server(int line, string command)
    {
        var match = GrpcurlCall().Match(command);
        Assert.True(match.Success, $"examples/grpcurl.md:{line}: not of the form grpcurl -plaintext [-H '…'] -d '…' HOST:PORT SERVICE/METHOD");
        string[] parts = match.Groups["method"].Value.Split('/');
        var method = Files.SelectMany(f => f.Services).Single(s => s.FullName == parts[0]).FindMethodByName(parts[1]);
        Assert.NotNull(method);
        var request = JsonParser.Default.Parse(match.Groups["body"].Value, method.InputType);

        var headers = new Metadata();
        if (match.Groups["header"].Success)
        {
            string[] header = match.Groups["header"].Value.Split(':', 2, StringSplitOptions.TrimEntries);
            headers.Add(header[0], header[1].Replace("$KARMA_ADMIN_TOKEN", ServerFixture.AdminToken, StringComparison.Ordinal));
        }

        var call = new Method<IMessage, IMessage>(MethodType.Unary, method.Service.FullName, method.Name,
            Marshal(method.InputType), Marshal(method.OutputType));
        var response = await server.Channel.CreateCallInvoker().AsyncUnaryCall(call, null, new CallOptions(headers, DateTime.UtcNow.AddSeconds(30)), request);
        Assert.Equal(method.OutputType.FullName, response.Descriptor.FullName);
        Assert.NotEqual(0, response.CalculateSize());
    }

    private static Marshaller<IMessage> Marshal(MessageDescriptor type)
        => Marshallers.Create(m => m.ToByteArray(), bytes => type.Parser.ParseFrom(bytes));

    [GeneratedRegex("""^grpcurl -plaintext (?:-H "(?<header>[^"]+)" )?-d '(?<body>[^']*)' \S+ (?<method>\S+/\S+)$""")]
    private static partial Regex GrpcurlCall();
}
