using System.Management.Automation;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.InfrastructureSelfTests;

/// <summary>
/// What-if lines, scripted confirmation answers and NonInteractive behaviour, against a script function using
/// SupportsShouldProcess + ConfirmImpact High + ShouldProcess + ShouldContinue.
/// </summary>
public sealed class ScriptShouldProcessSelfTests : IDisposable
{
    private const string RemoveThing = """
        function Remove-Thing {
            [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
            param([Parameter(Mandatory)][string[]] $Name, [switch] $Force)
            process {
                foreach ($n in $Name) {
                    if ($PSCmdlet.ShouldProcess($n, 'Remove thing')) {
                        if ($Force -or $PSCmdlet.ShouldContinue("Really remove ${n}?", 'Dangerous')) { "removed $n" }
                    }
                }
            }
        }
        """;

    private const string ConfirmMessageForA =
        "Are you sure you want to perform this action?\nPerforming the operation \"Remove thing\" on target \"a\".";

    private readonly PowerShellSession _session = PowerShellSession.CreateWithoutModule();

    public ScriptShouldProcessSelfTests() => _session.Invoke(RemoveThing).AssertNoErrors();

    public void Dispose() => _session.Dispose();

    [Fact]
    public void WhatIf_writes_one_line_per_item_and_nothing_happens()
    {
        PowerShellResult result = _session.Invoke("Remove-Thing a, b -WhatIf").AssertNoErrors();

        Assert.Equal(
            ["Performing the operation \"Remove thing\" on target \"a\".", "Performing the operation \"Remove thing\" on target \"b\"."],
            result.WhatIfLines);
        Assert.Equal(["What if: Performing the operation \"Remove thing\" on target \"a\".", "What if: Performing the operation \"Remove thing\" on target \"b\"."], result.HostLines);
        Assert.Empty(result.Output);
        Assert.Empty(result.Prompts);
    }

    [Fact]
    public void What_if_lines_are_captured_per_invocation()
    {
        _session.Invoke("Remove-Thing a -WhatIf");
        PowerShellResult second = _session.Invoke("Remove-Thing b -WhatIf");

        Assert.Equal(["Performing the operation \"Remove thing\" on target \"b\"."], second.WhatIfLines);
        Assert.Equal(2, _session.Host.UI.WhatIfLines.Count);
    }

    [Fact]
    public void Yes_to_confirmation_and_to_ShouldContinue_proceeds_and_both_prompts_are_recorded()
    {
        _session.EnqueueChoice(ConfirmChoice.Yes);
        _session.EnqueueChoice(ConfirmChoice.ShouldContinueYes);

        PowerShellResult result = _session.Invoke("Remove-Thing a").AssertNoErrors();

        Assert.Equal(["removed a"], result.Output.Select(o => o.BaseObject));
        Assert.Equal(2, result.Prompts.Count);
        HostPrompt confirm = result.Prompts[0];
        Assert.Equal(HostPromptKind.Choice, confirm.Kind);
        Assert.Equal("Confirm", confirm.Caption);
        Assert.Equal(ConfirmMessageForA, confirm.Message);
        Assert.Equal(["Yes", "Yes to All", "No", "No to All", "Suspend"], confirm.Choices);
        Assert.Equal(0, confirm.DefaultChoice);
        Assert.Equal("Yes", confirm.Answer);
        HostPrompt shouldContinue = result.Prompts[1];
        Assert.Equal("Dangerous", shouldContinue.Caption);
        Assert.Equal("Really remove a?", shouldContinue.Message);
        Assert.Equal(["Yes", "No", "Suspend"], shouldContinue.Choices);
        Assert.Equal(0, _session.Host.UI.PendingChoices);
    }

    [Fact]
    public void No_skips_the_item()
    {
        _session.EnqueueChoice("No");

        PowerShellResult result = _session.Invoke("Remove-Thing a").AssertNoErrors();

        Assert.Empty(result.Output);
        HostPrompt prompt = Assert.Single(result.Prompts);
        Assert.Equal(ConfirmChoice.No, prompt.AnswerIndex);
    }

    [Fact]
    public void Yes_to_all_confirms_later_items_without_asking_again()
    {
        _session.EnqueueChoice(ConfirmChoice.YesToAll);
        _session.EnqueueChoice("yes");
        _session.EnqueueChoice("Yes");

        PowerShellResult result = _session.Invoke("Remove-Thing a, b").AssertNoErrors();

        Assert.Equal(["removed a", "removed b"], result.Output.Select(o => o.BaseObject));
        Assert.Equal(["Confirm", "Dangerous", "Dangerous"], result.Prompts.Select(p => p.Caption));
    }

    [Fact]
    public void Confirm_false_and_Force_need_no_answers()
    {
        PowerShellResult result = _session.Invoke("Remove-Thing a -Confirm:$false -Force").AssertNoErrors();

        Assert.Equal(["removed a"], result.Output.Select(o => o.BaseObject));
        Assert.Empty(result.Prompts);
    }

    [Fact]
    public void A_prompt_without_a_queued_answer_fails_the_invocation_loudly()
    {
        var ex = Assert.Throws<UnscriptedPromptException>(() => _session.Invoke("Remove-Thing a"));

        Assert.Equal("Confirm", ex.Prompt.Caption);
        Assert.Equal(HostPromptOutcome.Unscripted, ex.Prompt.Outcome);
        Assert.Contains("Remove-Thing a", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_prompt_without_answer_fails_even_when_the_script_swallows_the_host_exception()
    {
        Assert.Throws<UnscriptedPromptException>(() => _session.Invoke("try { Remove-Thing a } catch { }; 'went on'"));
    }

    [Fact]
    public void A_scripted_label_that_matches_no_choice_fails_loudly()
    {
        _session.EnqueueChoice("Maybe");

        Assert.Throws<UnscriptedPromptException>(() => _session.Invoke("Remove-Thing a"));
    }

    [Fact]
    public void NonInteractive_refuses_the_prompt_as_pwsh_NonInteractive_does()
    {
        _session.NonInteractive = true;

        PowerShellResult result = _session.Invoke("Remove-Thing a; 'next statement'");

        // The script caller sees a statement-terminating MethodInvocationException wrapping the host's
        // PSInvalidOperationException; the script goes on with the next statement.
        Assert.False(result.HadTerminatingError);
        Assert.Equal(["next statement"], result.Output.Select(o => o.BaseObject));
        ErrorRecord error = Assert.Single(result.Errors);
        Assert.IsType<MethodInvocationException>(error.Exception);
        var inner = Assert.IsType<PSInvalidOperationException>(error.Exception.InnerException);
        Assert.Equal(NonInteractiveMode.Message, inner.Message);
        Assert.Equal("PSInvalidOperationException", error.FullyQualifiedErrorId);
        Assert.Equal(
            "Exception calling \"ShouldProcess\" with \"2\" argument(s): \"PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.\"",
            error.Exception.Message);
        HostPrompt prompt = Assert.Single(result.Prompts);
        Assert.Equal(HostPromptOutcome.RefusedNonInteractive, prompt.Outcome);
    }

    [Fact]
    public void NonInteractive_callers_get_through_with_Confirm_false_and_Force()
    {
        _session.NonInteractive = true;

        PowerShellResult result = _session.Invoke("Remove-Thing a -Confirm:$false -Force").AssertNoErrors();

        Assert.Equal(["removed a"], result.Output.Select(o => o.BaseObject));
        Assert.Empty(result.Prompts);
    }

    [Fact]
    public void NonInteractive_refuses_ReadLine_too()
    {
        _session.NonInteractive = true;

        PowerShellResult result = _session.Invoke("$Host.UI.ReadLine()");

        ErrorRecord error = Assert.Single(result.Errors);
        Assert.Equal(NonInteractiveMode.Message, error.Exception.InnerException?.Message);
    }

    [Fact]
    public void ReadLine_and_missing_mandatory_parameters_take_queued_lines()
    {
        _session.Host.UI.EnqueueLine("typed");
        _session.Host.UI.EnqueueLine("web1");

        PowerShellResult result = _session.Invoke(
            "$Host.UI.ReadLine(); function Get-Greeting { param([Parameter(Mandatory)][string] $Who) \"hi $Who\" }; Get-Greeting").AssertNoErrors();

        Assert.Equal(["typed", "hi web1"], result.Output.Select(o => o.BaseObject));
        Assert.Equal([HostPromptKind.ReadLine, HostPromptKind.Fields], result.Prompts.Select(p => p.Kind));
        Assert.Equal(["Who"], result.Prompts[1].Choices);
    }
}
