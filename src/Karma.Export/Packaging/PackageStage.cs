using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Serving.Core.Model;
using Karma.Core.Text;
using Karma.Onnx;
using Karma.Search.Hybrid;
using Karma.Search.Lexical;
using Microsoft.ML.OnnxRuntime;

namespace Karma.Export.Packaging;

/// <summary>
/// A model package being written (docs/package-format.md): files go into a hidden sibling directory of the
/// destination; <see cref="Commit"/> writes the manifest and swaps the directory into place (the old package is moved
/// aside first, so a failed swap never loses it); disposing an uncommitted stage deletes it, so a failed export
/// leaves nothing behind. The towers and item tables are written first, so the pre-ranker can be trained on the
/// candidates the staged tables and lexical index recall before the package is complete.
/// </summary>
public sealed class PackageStage : IDisposable
{
    /// <summary>File names inside a package.</summary>
    public const string UserTowerFile = "user_tower.onnx", ItemTowerFile = "item_tower.onnx", PreRankFile = "prerank.onnx",
        DecoderFile = "decoder.onnx",
        EmbeddingsFile = "item_embeddings.bin", HistoryTokensFile = "item_history_tokens.bin",
        ItemStatisticsFile = "item_statistics.bin", LexicalFile = "lexical_index.bin";

    private readonly string _outDir;
    private bool _committed;

    private PackageStage(string outDir, string directory)
    {
        _outDir = outDir;
        Directory = directory;
    }

    /// <summary>The staging directory.</summary>
    public string Directory { get; }

    /// <summary>
    /// Refuses to write over a non-empty directory unless <paramref name="force"/>, and even then only over a model
    /// package (a directory with a manifest): a mistyped --out never deletes someone's data.
    /// </summary>
    public static void CheckTarget(string outDir, bool force)
    {
        if (System.IO.Directory.Exists(outDir) && System.IO.Directory.EnumerateFileSystemEntries(outDir).Any())
        {
            if (!force)
            {
                throw new IOException($"{outDir} exists and is not empty; pass --force to replace it");
            }

            if (!File.Exists(Path.Combine(outDir, ModelManifest.FileName)))
            {
                throw new IOException($"{outDir} is not a model package (no {ModelManifest.FileName}); --force only replaces packages");
            }
        }
    }

    /// <summary>Creates a staging directory beside <paramref name="outDir"/>.</summary>
    public static PackageStage Create(string outDir)
    {
        string full = Path.GetFullPath(outDir);
        string parent = Path.GetDirectoryName(full)!;
        System.IO.Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        System.IO.Directory.CreateDirectory(temp);
        return new PackageStage(full, temp);
    }

    /// <summary>Path of a file in the stage.</summary>
    public string PathOf(string file) => Path.Combine(Directory, file);

    /// <summary>Writes the towers, our tokenizer and the item tables (<see cref="WriteTables"/>).</summary>
    public void WriteTowersAndTables(byte[] userTower, byte[] itemTower, BpeTokenizer tokenizer, SearchLog data, TemporalSplit split,
        float[] history, int dModel, float[] embeddings, int embedDim, VectorElementType embeddingType, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(log);
        File.WriteAllBytes(PathOf(UserTowerFile), userTower);
        File.WriteAllBytes(PathOf(ItemTowerFile), itemTower);
        tokenizer.Save(PathOf(BpeTokenizer.FileName));
        WriteTables(data, split, history, dModel, embeddings, embedDim, embeddingType, log);
    }

    /// <summary>
    /// Writes the item tables: embeddings, history tokens, item statistics (training-period popularity and price),
    /// the catalog and the BM25 index over the items' text.
    /// </summary>
    public void WriteTables(SearchLog data, TemporalSplit split, float[] history, int dModel, float[] embeddings, int embedDim,
        VectorElementType embeddingType, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(log);
        int n = data.Items.Count;
        VectorTableWriter.Write(PathOf(EmbeddingsFile), embeddings, n, embedDim, embeddingType);
        VectorTableWriter.Write(PathOf(HistoryTokensFile), history, n, dModel, VectorElementType.Float32);
        VectorTableWriter.Write(PathOf(ItemStatisticsFile), ItemStatistics.Compute(split.TrainClicks, data.Items.Select(i => i.Price).ToList(),
            split.TrainingImpressions(data)),
            n, ItemStatistics.Count, VectorElementType.Float32);
        ItemCatalogFile.Write(PathOf(ItemCatalogFile.FileName), data.Items.Select(i => new ItemCatalogEntry(i.ItemId, i.Category, i.Title)));
        LexicalIndexFile.Write(PathOf(LexicalFile), data.Items.Select(i => new LexicalDocument(i.Title, i.Description, i.Category, i.Brand)),
            new Progress<string>(m => log.WriteLine($"[export] {m}")));
    }

    /// <summary>Writes L_rec's decoder graph (read by Explain, never by Search).</summary>
    public void WriteDecoder(byte[] graph) => File.WriteAllBytes(PathOf(DecoderFile), graph);

    /// <summary>Writes the pre-ranker graph.</summary>
    public void WritePreRank(byte[] graph) => File.WriteAllBytes(PathOf(PreRankFile), graph);

    /// <summary>The manifest's entries for the files written so far: graphs, tokenizer and tables.</summary>
    public (ManifestFile Tokenizer, Dictionary<string, ManifestGraph> Graphs, Dictionary<string, ManifestTable> Tables) Entries(int items)
    {
        var graphs = new Dictionary<string, ManifestGraph>
        {
            [PackageRoles.UserTower] = GraphEntry(Directory, UserTowerFile),
            [PackageRoles.PreRank] = GraphEntry(Directory, PreRankFile),
        };
        foreach (var (role, file) in new[] { (PackageRoles.ItemTower, ItemTowerFile), (PackageRoles.Decoder, DecoderFile) })
        {
            if (File.Exists(PathOf(file)))
            {
                graphs[role] = GraphEntry(Directory, file);
            }
        }

        var tables = new Dictionary<string, ManifestTable>
        {
            [PackageRoles.Embeddings] = TableEntry(EmbeddingsFile),
            [PackageRoles.HistoryTokens] = TableEntry(HistoryTokensFile),
            [PackageRoles.ItemStatistics] = TableEntry(ItemStatisticsFile),
            [PackageRoles.Catalog] = OpaqueEntry(ItemCatalogFile.FileName, items, "jsonl"),
            [PackageRoles.Lexical] = OpaqueEntry(LexicalFile, items, LexicalIndexFile.ElementType),
        };
        string tokenizer = File.Exists(PathOf(BpeTokenizer.FileName)) ? BpeTokenizer.FileName : WordPieceTokenizer.FileName;
        return (FileEntry(tokenizer), graphs, tables);
    }

    /// <summary>Writes the manifest and moves the stage into place; returns the package's size in bytes.</summary>
    public long Commit(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        manifest.Write(Directory);
        string parent = Path.GetDirectoryName(_outDir)!;
        string? old = null;
        if (System.IO.Directory.Exists(_outDir))
        {
            old = Path.Combine(parent, $".{Path.GetFileName(_outDir)}.{Guid.NewGuid():N}.old");
            System.IO.Directory.Move(_outDir, old);
        }

        try
        {
            System.IO.Directory.Move(Directory, _outDir);
        }
        catch
        {
            if (old is not null)
            {
                System.IO.Directory.Move(old, _outDir);
            }

            throw;
        }

        _committed = true;
        if (old is not null)
        {
            System.IO.Directory.Delete(old, recursive: true);
        }

        return System.IO.Directory.EnumerateFiles(_outDir).Sum(f => new FileInfo(f).Length);
    }

    /// <summary>Deletes the stage unless it was committed.</summary>
    public void Dispose()
    {
        if (!_committed && System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private ManifestFile FileEntry(string file)
        => new(file, ModelManifest.Sha256Of(PathOf(file)), new FileInfo(PathOf(file)).Length);

    private ManifestTable TableEntry(string file)
    {
        using var t = VectorTable.Open(PathOf(file));
        return new ManifestTable(file, ModelManifest.Sha256Of(PathOf(file)), new FileInfo(PathOf(file)).Length,
            t.Rows, t.Cols, t.ElementType == VectorElementType.Float16 ? "float16" : "float32");
    }

    private ManifestTable OpaqueEntry(string file, int rows, string elementType)
        => new(file, ModelManifest.Sha256Of(PathOf(file)), new FileInfo(PathOf(file)).Length, rows, 0, elementType);

    /// <summary>A graph's file entry with its signature as ONNX Runtime reads it.</summary>
    internal static ManifestGraph GraphEntry(string dir, string file)
    {
        string path = Path.Combine(dir, file);
        using var session = new InferenceSession(path);
        return new ManifestGraph(file, ModelManifest.Sha256Of(path), new FileInfo(path).Length, GraphBuilder.Opset,
            GraphContract.Signature(session.InputMetadata), GraphContract.Signature(session.OutputMetadata));
    }
}
