"""Pages built for the audit tests: one with five known failures, one without them."""

STYLE = "body { color: #161616; background: #ffffff; font-size: 16px; }"

# Each failure is the textbook case of one RGAA criterion:
# 1.1 informative image without alternative; 11.1 field without label; 3.2 grey text on white
# (#aaaaaa on #ffffff: contrast 2.3:1, below 4.5:1); 8.3 no lang on <html>; 6.2 link without a name.
BAD_PAGE = f"""<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Démarche en ligne</title><style>{STYLE}
.pale {{ color: #aaaaaa; }}</style></head>
<body>
<header><p>Mairie de Testville</p></header>
<main>
<h1>Inscription à la cantine</h1>
<img src="/plan.png" width="40" height="40">
<p class="pale">Les inscriptions ferment le 30 juin.</p>
<form action="/envoi"><input type="text" name="nom"><button type="submit">Envoyer</button></form>
<p><a href="/aide"></a></p>
</main>
</body>
</html>"""

GOOD_PAGE = f"""<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>Démarche en ligne</title><style>{STYLE}</style></head>
<body>
<header><p>Mairie de Testville</p></header>
<main>
<h1>Inscription à la cantine</h1>
<img src="/plan.png" width="40" height="40" alt="Plan d'accès à la mairie">
<p>Les inscriptions ferment le 30 juin.</p>
<form action="/envoi"><label for="nom">Nom</label>
<input type="text" id="nom" name="nom" autocomplete="family-name">
<button type="submit">Envoyer</button></form>
<p><a href="/aide">Aide à l'inscription</a></p>
</main>
</body>
</html>"""
