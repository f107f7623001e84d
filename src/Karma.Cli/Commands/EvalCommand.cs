using System.CommandLine;
using Karma.Training.Evaluation;

namespace Karma.Cli.Commands;

/// <summary><c>karma eval</c>: offline metrics of an align checkpoint.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<DirectoryInfo>("--checkpoint") { Description = "Align checkpoint to evaluate", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "Data directory it was trained on", Required = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Where to write metrics.json and metrics.md (default: the checkpoint)" };
        var noPreRank = new Option<bool>("--no-prerank") { Description = "Skip training and scoring the pre-rankers" };
        var seed = new Option<int>("--seed") { Description = "Seed of the probe and pre-rankers", DefaultValueFactory = _ => 1 };
        var cmd = new Command("eval", "HR@50/200/1000 and NDCG@10 (warm/cold), semantic fidelity, attention sinks, pre-ranker gAUC")
        {
            checkpoint, data, output, noPreRank, seed,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            string ckpt = parse.GetValue(checkpoint)!.FullName;
            var report = Evaluator.Run(ckpt, parse.GetValue(data)!.FullName,
                new EvaluationOptions { PreRank = !parse.GetValue(noPreRank), Seed = parse.GetValue(seed) });
            string dir = parse.GetValue(output)?.FullName ?? ckpt;
            ReportWriter.WriteFiles(dir, report);
            Console.WriteLine(ReportWriter.ToMarkdown(report));
            return 0;
        }));
        return cmd;
    }
}
