using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace IncusBackup.PowerShell.Completers;

/// <summary>Completes from a list of names, quoting those that need it, matching the typed prefix as a wildcard.</summary>
public abstract class CompleterBase : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = wordToComplete.Trim('\'', '"');
        var pattern = new WildcardPattern(typed + "*", WildcardOptions.IgnoreCase);
        foreach (var name in Names(commandName, parameterName, fakeBoundParameters).Where(n => pattern.IsMatch(n)))
        {
            var text = name.IndexOfAny([' ', '\'', '"', '$', '`', '(', ')', '{', '}', ',', ';']) >= 0 ? "'" + name.Replace("'", "''") + "'" : name;
            yield return new CompletionResult(text, name, CompletionResultType.ParameterValue, name);
        }
    }

    /// <summary>The candidates, in the order they are offered.</summary>
    protected abstract IEnumerable<string> Names(string commandName, string parameterName, IDictionary boundParameters);

    /// <summary>-Project, else the project of the remote the command line points at, else "default" (as the cmdlet decides).</summary>
    protected static string ProjectOf(IDictionary boundParameters) =>
        boundParameters["Project"] as string ?? CompletionServer.Resolve(boundParameters)?.Project ?? "default";
}
