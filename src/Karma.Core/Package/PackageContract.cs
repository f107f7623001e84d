using Karma.Core.Text;

namespace Karma.Core.Package;

/// <summary>
/// The checks of a model package that need no ONNX Runtime: what its manifest must list, that every listed file is
/// intact, and that the opened tables, catalog and tokenizer fit the manifest's dimensions. <c>karma package verify</c>,
/// the exporter's final check and the service's load all make them, in the same words; each adds a message naming the
/// file or field to <c>problems</c> rather than throwing, so one pass reports everything.
/// </summary>
public static class PackageContract
{
    /// <summary>
    /// Checks the listing: the tokenizer, every required graph and table role, the optional graphs that are present, the
    /// dimensions and limits; every listed file inside the package with the size and SHA-256 the manifest gives; a
    /// decoder graph only beside a tokenizer that spells its words. Tolerates sections a hand-edited manifest nulled.
    /// </summary>
    /// <returns>The listed files in the order tokenizer, graphs, tables, each with whether it is intact.</returns>
    public static IReadOnlyList<ListedFile> CheckListing(string dir, ModelManifest manifest, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(problems);
        var files = new List<ListedFile>();
        void Check(string role, string? file, string? sha256, long bytes)
        {
            string? problem = PackageFiles.Problem(dir, file, sha256, bytes);
            if (problem is not null)
            {
                problems.Add(problem);
            }

            files.Add(new ListedFile(role, file ?? string.Empty, problem is null));
        }

        if (manifest.Dimensions is null || manifest.Limits is null)
        {
            problems.Add("manifest: dimensions or limits missing");
        }

        if (manifest.Tokenizer is { } tokenizer)
        {
            Check(PackageRoles.Tokenizer, tokenizer.File, tokenizer.Sha256, tokenizer.Bytes);
        }
        else
        {
            problems.Add("manifest: no tokenizer");
        }

        foreach (string role in PackageRoles.Graphs.Concat(PackageRoles.OptionalGraphs))
        {
            if (manifest.Graphs?.GetValueOrDefault(role) is { } graph)
            {
                Check(role, graph.File, graph.Sha256, graph.Bytes);
            }
            else if (PackageRoles.Graphs.Contains(role))
            {
                problems.Add($"manifest: no '{role}' graph");
            }
        }

        foreach (string role in PackageRoles.Tables)
        {
            if (manifest.Tables?.GetValueOrDefault(role) is { } table)
            {
                Check(role, table.File, table.Sha256, table.Bytes);
            }
            else
            {
                problems.Add($"manifest: no '{role}' table");
            }
        }

        if (manifest.Graphs?.ContainsKey(PackageRoles.Decoder) == true && manifest.TokenizerFormat != BpeTokenizer.FormatId)
        {
            problems.Add($"the decoder graph needs a {BpeTokenizer.FormatId} tokenizer (its words are spelled with its end-of-word marks), " +
                $"the package has {manifest.TokenizerFormat}");
        }

        return files;
    }

    /// <summary>The width of a vector table role under the manifest: D, d, or one column per item statistic.</summary>
    public static int TableWidth(string role, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return role switch
        {
            PackageRoles.Embeddings => manifest.Dimensions.EmbedDim,
            PackageRoles.HistoryTokens => manifest.Dimensions.DModel,
            PackageRoles.ItemStatistics => manifest.ItemStatistics.Count,
            _ => throw new ArgumentOutOfRangeException(nameof(role), role, "not a vector table role"),
        };
    }

    /// <summary>An opened vector table and its manifest entry must both be [items, width of the role].</summary>
    public static void CheckTable(string role, VectorTable table, ModelManifest manifest, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(problems);
        int rows = manifest.Dimensions.Items, cols = TableWidth(role, manifest);
        var entry = manifest.Tables[role];
        if (table.Rows != rows || table.Cols != cols)
        {
            problems.Add($"{entry.File}: shape [{table.Rows}, {table.Cols}], expected [{rows}, {cols}] ({rows} items, width {cols})");
        }
        else if (entry.Rows != rows || entry.Cols != cols)
        {
            problems.Add($"manifest: table '{role}' says [{entry.Rows}, {entry.Cols}], its file and the dimensions give [{rows}, {cols}]");
        }
    }

    /// <summary>The catalog must hold one entry per table row.</summary>
    public static void CheckCatalog(ItemCatalog catalog, ModelManifest manifest, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(problems);
        if (catalog.Count != manifest.Dimensions.Items)
        {
            problems.Add($"{manifest.Tables[PackageRoles.Catalog].File}: {catalog.Count} items, manifest says {manifest.Dimensions.Items}");
        }
    }

    /// <summary>
    /// The tokenizer must have the manifest's vocabulary and the user tower's layout tokens inside it; returns the layout
    /// tokens when they are.
    /// </summary>
    public static SequenceTokens? CheckTokenizer(IQueryTokenizer tokenizer, ModelManifest manifest, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(problems);
        if (tokenizer.VocabSize != manifest.Dimensions.VocabSize)
        {
            problems.Add($"{manifest.Tokenizer.File}: vocabulary {tokenizer.VocabSize}, manifest says {manifest.Dimensions.VocabSize}");
        }

        var layout = SequenceTokens.From(manifest.SpecialTokens, tokenizer.VocabSize, out string? problem);
        if (problem is not null)
        {
            problems.Add(problem);
        }

        return layout;
    }
}

/// <summary>A file a manifest lists for a role, and whether it is intact (inside the package, of the listed size and hash).</summary>
/// <param name="Role">The role key (<see cref="PackageRoles"/>).</param>
/// <param name="File">The file name.</param>
/// <param name="Intact">Whether every integrity check passed.</param>
public sealed record ListedFile(string Role, string File, bool Intact);
