using System.CommandLine;
using System.Text.Json;
using Karma.Core.Package;
using Karma.LoadTesting.Bench;

namespace Karma.Cli.Commands;

/// <summary><c>karma bench …</c>: reproducible benchmark suites writing JSON and markdown.</summary>
internal static class BenchCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create() => new("bench", "Benchmark suites (JSON + markdown under --out)") { Recall() };

    private static Command Recall()
    {
        var vectors = new Option<FileInfo?>("--vectors") { Description = "A .fvecs or .npy file (float32) to index" };
        var package = new Option<DirectoryInfo?>("--package") { Description = "A model package whose embedding table to index" };
        var synthetic = new Option<int>("--synthetic") { Description = "Rows of clustered synthetic unit vectors (when no file or package)", DefaultValueFactory = _ => 100_000 };
        var dims = new Option<int>("--dims") { Description = "Width of synthetic vectors", DefaultValueFactory = _ => 64 };
        var queries = new Option<int>("--queries") { Description = "Queries", DefaultValueFactory = _ => 200 };
        var efs = new Option<string>("--ef") { Description = "Comma-separated HNSW search expansions", DefaultValueFactory = _ => "16,32,64,128,256" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output directory", DefaultValueFactory = _ => new DirectoryInfo("runs/bench") };
        var cmd = new Command("recall", "Exact vs HNSW: recall@10/@100, queries/s across expansion settings, build time, memory")
        {
            vectors, package, synthetic, dims, queries, efs, output,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            string outDir = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(outDir);
            string source;
            string tablePath;
            bool temporary = false;
            if (parse.GetValue(package) is { } pkg)
            {
                var manifest = ModelManifest.Read(pkg.FullName);
                tablePath = Path.Combine(pkg.FullName, manifest.Tables["embeddings"].File);
                source = $"package {manifest.ModelVersion}";
            }
            else
            {
                float[] data;
                int rows, cols;
                if (parse.GetValue(vectors) is { } file)
                {
                    (data, rows, cols) = VectorFiles.Read(file.FullName);
                    source = file.Name;
                }
                else
                {
                    rows = parse.GetValue(synthetic);
                    cols = parse.GetValue(dims);
                    data = RecallBench.Clustered(rows, cols, seed: 42);
                    source = $"synthetic clustered (seed 42)";
                }

                tablePath = Path.Combine(outDir, $".bench-table-{Guid.NewGuid():N}.bin");
                VectorTableWriter.Write(tablePath, data, rows, cols, VectorElementType.Float32);
                temporary = true;
            }

            try
            {
                using var table = VectorTable.Open(tablePath);
                int[] expansions = parse.GetValue(efs)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
                var result = RecallBench.Run(source, table, parse.GetValue(queries), expansions, Console.Error);
                File.WriteAllText(Path.Combine(outDir, "recall.json"), JsonSerializer.Serialize(result, Indented));
                string md = RecallBench.ToMarkdown(result);
                File.WriteAllText(Path.Combine(outDir, "recall.md"), md);
                Console.WriteLine(md);
                return 0;
            }
            finally
            {
                if (temporary)
                {
                    File.Delete(tablePath);
                }
            }
        }));
        return cmd;
    }
}
