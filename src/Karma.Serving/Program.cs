using Karma.Serving.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddKarmaServing();
var app = builder.Build();
app.MapKarmaServing();
app.Run();

/// <summary>Entry point, public for functional tests.</summary>
public partial class Program;
