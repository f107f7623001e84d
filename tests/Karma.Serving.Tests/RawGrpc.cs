using System.Net;
using System.Net.Http.Headers;

namespace Karma.Serving.Tests;

/// <summary>
/// A raw HTTP/2 (h2c) client for sending bodies no gRPC client would: any bytes, any content-type. Reads the gRPC
/// status from the trailers, or from the headers of a trailers-only response.
/// </summary>
public sealed class RawGrpc : IDisposable
{
    private readonly HttpClient _http;

    public RawGrpc(int port) => _http = new HttpClient(new SocketsHttpHandler()) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

    public sealed record Reply(HttpStatusCode HttpStatus, int? GrpcStatus, string? Message);

    /// <summary>The 5-byte gRPC frame header (uncompressed, <paramref name="length"/> as given) followed by <paramref name="payload"/>.</summary>
    public static byte[] Frame(byte[] payload, long? length = null, byte flag = 0)
    {
        long n = length ?? payload.Length;
        var framed = new byte[payload.Length + 5];
        framed[0] = flag;
        framed[1] = (byte)(n >> 24);
        framed[2] = (byte)(n >> 16);
        framed[3] = (byte)(n >> 8);
        framed[4] = (byte)n;
        payload.CopyTo(framed, 5);
        return framed;
    }

    public async Task<Reply> PostAsync(string path, byte[] body, string contentType = "application/grpc", params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync(); // trailers arrive after the body
        string? status = Header(response.TrailingHeaders, "grpc-status") ?? Header(response.Headers, "grpc-status");
        string? message = Header(response.TrailingHeaders, "grpc-message") ?? Header(response.Headers, "grpc-message");
        return new Reply(response.StatusCode, status is null ? null : int.Parse(status, System.Globalization.CultureInfo.InvariantCulture),
            message is null ? null : Uri.UnescapeDataString(message));
    }

    public async Task<HttpStatusCode> GetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await _http.SendAsync(request);
        return response.StatusCode;
    }

    private static string? Header(HttpHeaders headers, string name) => headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    public void Dispose() => _http.Dispose();
}
