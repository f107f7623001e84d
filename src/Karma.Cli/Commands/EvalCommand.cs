using System.CommandLine;
using Karma.Evaluation;
using Karma.Training.Evaluation;

namespace Karma.Cli.Commands;

/// <summary>
/// <c>karma eval</c>: the Search path of a package against the lexical and popularity baselines
/// (<c>--package</c>), or the embedding-level diagnostics of an align checkpoint (<c>--checkpoint</c>).
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var package = new Option<DirectoryInfo?>("--package") { Description = "Model package: evaluate the Search path against the baselines" };
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "Align checkpoint: embedding recall (h_t·e), semantic fidelity, attention sinks" };
        var data = new Option<DirectoryInfo>("--data") { Description = "Data directory in the documented format", Required = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Where to write the report (default: the package's quality/ or the checkpoint)" };
        var validation = new Option<bool>("--validation") { Description = "Evaluate on the validation requests instead of the test requests" };
        var seed = new Option<int>("--seed") { Description = "Seed of the bootstrap (package) or of the semantic probe (checkpoint)", DefaultValueFactory = _ => 1 };
        var pretrained = new Option<bool>("--pretrained-baseline")
        {
            Description = "With --package: also rank with the frozen pretrained text encoder (all-MiniLM-L6-v2; about a minute more on 10k items)",
        };
        var shares = new Option<string?>("--shares")
        {
            Description = "Search's channel shares KARMA,LEXICAL,CATEGORY, e.g. 0.5,0.3,0.2 (default: the package's)",
        };
        shares.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && ParseShares(text) is null)
            {
                r.AddError($"--shares '{text}': expected three numbers in [0, 1] separated by commas, not all 0");
            }
        });
        var cmd = new Command("eval",
            "Search-path quality vs BM25, BM25+history, category popularity and popularity with paired bootstrap intervals (--package); " +
            "embedding-level metrics of a checkpoint (--checkpoint)")
        {
            package, checkpoint, data, output, validation, seed, shares, pretrained,
        };
        cmd.Validators.Add(result =>
        {
            if ((result.GetValue(package) is null) == (result.GetValue(checkpoint) is null))
            {
                result.AddError("give exactly one of --package and --checkpoint");
            }
        });
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            string dataDir = parse.GetValue(data)!.FullName;
            if (parse.GetValue(package) is { } pkg)
            {
                var result = QualityEvaluator.Run(new QualityOptions
                {
                    PackageDir = pkg.FullName, DataDir = dataDir, Validation = parse.GetValue(validation), Seed = parse.GetValue(seed),
                    Quotas = parse.GetValue(shares) is { } text ? ParseShares(text) : null,
                    PretrainedBaseline = parse.GetValue(pretrained),
                });
                string dir = parse.GetValue(output)?.FullName ?? Path.Combine(pkg.FullName, "quality");
                string command = "karma " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
                QualityReportWriter.WriteFiles(dir, result, command);
                Console.WriteLine(QualityReportWriter.ToMarkdown(result.Report, command));
                Console.WriteLine($"wrote {Path.Combine(dir, QualityReportWriter.MarkdownFile)}, {QualityReportWriter.JsonFile}, {QualityReportWriter.PngFile} and {QualityReportWriter.ExamplesFile}");
                return 0;
            }

            string ckpt = parse.GetValue(checkpoint)!.FullName;
            var report = Evaluator.Run(ckpt, dataDir, new EvaluationOptions { Seed = parse.GetValue(seed) });
            string outDir = parse.GetValue(output)?.FullName ?? ckpt;
            ReportWriter.WriteFiles(outDir, report);
            Console.WriteLine(ReportWriter.ToMarkdown(report));
            return 0;
        }));
        return cmd;
    }

    private static Karma.Search.Hybrid.ChannelQuotas? ParseShares(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 3 || !parts.All(p => double.TryParse(p, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)))
        {
            return null;
        }

        double[] v = parts.Select(p => double.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var quotas = new Karma.Search.Hybrid.ChannelQuotas(v[0], v[1], v[2]);
        try
        {
            quotas.Validate();
            return quotas;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
