using Grpc.Core;
using Grpc.Net.Client;
using Karma.Core.Package;
using Karma.Serving.Contracts.V1;

namespace Karma.LoadTesting;

/// <summary>
/// The catalog of the model a running service serves, read page by page through <c>karma.v1.Retrieval/ListItems</c>:
/// the load tester's default source of histories and queries, so it draws ids the service knows wherever it runs.
/// </summary>
public static class ServiceCatalog
{
    /// <summary>Items per ListItems call: the service's largest page.</summary>
    public const int PageSize = 10_000;

    /// <summary>Reads the whole catalog; a model swap between pages starts over (at most three times).</summary>
    /// <exception cref="RpcException">The service cannot be reached or refused the call.</exception>
    public static async Task<(ItemCatalog Catalog, string ModelVersion)> FetchAsync(string target, TextWriter? progress, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(target);
        var client = new Retrieval.RetrievalClient(channel);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await FetchOnceAsync(client, target, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && attempt < 3)
            {
                progress?.WriteLine($"[catalog] the model changed while listing ({e.Status.Detail}); starting over");
            }
        }
    }

    private static async Task<(ItemCatalog, string)> FetchOnceAsync(Retrieval.RetrievalClient client, string target, TextWriter? progress,
        CancellationToken cancellationToken)
    {
        var entries = new List<ItemCatalogEntry>();
        string token = string.Empty, version = string.Empty;
        do
        {
            var page = await client.ListItemsAsync(new ListItemsRequest { PageSize = PageSize, PageToken = token },
                deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken).ConfigureAwait(false);
            version = page.ModelVersion;
            entries.AddRange(page.Items.Select(i => new ItemCatalogEntry(i.ItemId, i.Category, i.Title)));
            token = page.NextPageToken;
            if (page.TotalItems > PageSize)
            {
                progress?.WriteLine($"[catalog] {entries.Count:N0}/{page.TotalItems:N0} items from {target}");
            }
        }
        while (token.Length > 0);

        return (ItemCatalog.FromEntries(entries, $"ListItems of {target}"), version);
    }
}
