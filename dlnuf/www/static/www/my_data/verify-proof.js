/*
 * « Mes données »: checks the proof of an access in the browser, with nothing but WebCrypto.
 *
 * The bundle (format dlnuf-journal-inclusion-bundle, version 1) is fetched from the server; the
 * leaf hash (RFC 9162: SHA-256 of 0x00 and the entry's canonical bytes), the inclusion path to the
 * root (RFC 9162 §2.1.3.2) and the Ed25519 signature of the checkpoint note (C2SP signed-note and
 * tlog-checkpoint) are all recomputed here, so the page does not take the server's word for it.
 * The result is announced in the access's live region.
 */
(function () {
  "use strict";

  // The partial may be included once per access: the listeners are set once.
  if (window.dlnufProofCheckReady) {
    return;
  }
  window.dlnufProofCheckReady = true;

  var BUNDLE_FORMAT = "dlnuf-journal-inclusion-bundle";
  var ED25519_TYPE = 1;
  var KEY_ID_SIZE = 4;
  var SIGNATURE_SIZE = 64;
  var encoder = new TextEncoder();

  // A check that failed: its message completes « Échec de la vérification : … ».
  function CheckFailed(message) {
    this.message = message;
  }

  // Nothing could be checked (network, browser): « Vérification impossible : … ».
  function CannotCheck(message) {
    this.message = message;
  }

  function fromBase64(text, what) {
    if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
      throw new CheckFailed(what + " n'est pas écrit en base64.");
    }
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes;
  }

  function fromHex(text) {
    var bytes = new Uint8Array(text.length / 2);
    for (var i = 0; i < bytes.length; i += 1) {
      bytes[i] = parseInt(text.substr(i * 2, 2), 16);
    }
    return bytes;
  }

  function concat() {
    var length = 0;
    var i;
    for (i = 0; i < arguments.length; i += 1) {
      length += arguments[i].length;
    }
    var joined = new Uint8Array(length);
    var offset = 0;
    for (i = 0; i < arguments.length; i += 1) {
      joined.set(arguments[i], offset);
      offset += arguments[i].length;
    }
    return joined;
  }

  function equal(left, right) {
    if (left.length !== right.length) {
      return false;
    }
    for (var i = 0; i < left.length; i += 1) {
      if (left[i] !== right[i]) {
        return false;
      }
    }
    return true;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  function hashOf(text, what) {
    var hash = fromBase64(text, what);
    if (hash.length !== 32) {
      throw new CheckFailed(what + " ne fait pas 32 octets.");
    }
    return hash;
  }

  // RFC 9162 §2.1.3.2. Plain arithmetic rather than bit operators, which JavaScript limits to
  // 32 bits: the journal grows beyond 2^31 entries.
  async function rootFromInclusionPath(index, size, leaf, path) {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
      throw new CheckFailed("l'index de l'accès est hors de l'arbre annoncé.");
    }
    var fn = index;
    var sn = size - 1;
    var result = leaf;
    for (var i = 0; i < path.length; i += 1) {
      if (sn === 0) {
        throw new CheckFailed("le chemin d'inclusion est trop long pour la taille de l'arbre.");
      }
      if (fn % 2 === 1 || fn === sn) {
        result = await sha256(concat(Uint8Array.of(1), path[i], result));
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        result = await sha256(concat(Uint8Array.of(1), result, path[i]));
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0) {
      throw new CheckFailed("le chemin d'inclusion est trop court pour la taille de l'arbre.");
    }
    return result;
  }

  async function verifierKey(text) {
    // The name and the hexadecimal id hold no "+", the base64 key may.
    var parts = typeof text === "string" ? /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(text.trim()) : null;
    if (parts === null) {
      throw new CheckFailed("la clé de vérification du journal est mal formée.");
    }
    var typedKey = fromBase64(parts[3], "La clé de vérification");
    if (typedKey.length !== 33 || typedKey[0] !== ED25519_TYPE) {
      throw new CheckFailed("la clé de vérification n'est pas une clé Ed25519.");
    }
    var key = { name: parts[1], keyId: fromHex(parts[2]), publicKey: typedKey.slice(1) };
    var identified = concat(encoder.encode(key.name + "\n"), Uint8Array.of(ED25519_TYPE), key.publicKey);
    if (!equal((await sha256(identified)).slice(0, KEY_ID_SIZE), key.keyId)) {
      throw new CheckFailed("l'identifiant de la clé de vérification ne correspond pas à la clé.");
    }
    return key;
  }

  async function importEd25519(publicKey) {
    try {
      return await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    } catch (error) {
      throw new CannotCheck(
        "ce navigateur ne sait pas vérifier une signature Ed25519 ; téléchargez la preuve et " +
          "vérifiez-la hors ligne."
      );
    }
  }

  // The text of the checkpoint note once the journal key's signature is found and valid.
  async function verifiedNoteText(note, key) {
    var split = typeof note === "string" ? note.lastIndexOf("\n\n") : -1;
    if (split < 0 || note.slice(-1) !== "\n") {
      throw new CheckFailed("le point de contrôle n'est pas une note signée.");
    }
    var text = note.slice(0, split + 1);
    var lines = note.slice(split + 2, -1).split("\n");
    var publicKey = await importEd25519(key.publicKey);
    for (var i = 0; i < lines.length; i += 1) {
      var match = /^\u2014 (\S+) (\S+)$/.exec(lines[i]);
      if (match === null) {
        throw new CheckFailed("une ligne de signature du point de contrôle est mal formée.");
      }
      if (match[1] !== key.name) {
        continue; // witnesses' cosignatures
      }
      var raw = fromBase64(match[2], "Une signature du point de contrôle");
      if (!equal(raw.slice(0, KEY_ID_SIZE), key.keyId)) {
        continue;
      }
      var signature = raw.slice(KEY_ID_SIZE);
      var valid =
        signature.length === SIGNATURE_SIZE &&
        (await crypto.subtle.verify({ name: "Ed25519" }, publicKey, signature, encoder.encode(text)));
      if (!valid) {
        throw new CheckFailed("la signature du point de contrôle est invalide.");
      }
      return text;
    }
    throw new CheckFailed("le point de contrôle n'est pas signé par la clé du journal.");
  }

  async function verifyBundle(bundle) {
    if (!bundle || bundle.format !== BUNDLE_FORMAT || bundle.version !== 1 || !bundle.entry) {
      throw new CheckFailed("la preuve n'est pas dans un format reconnu.");
    }
    var key = await verifierKey(bundle.verifier_key);
    var lines = (await verifiedNoteText(bundle.checkpoint, key)).split("\n");
    if (lines.length < 4 || lines[0] !== key.name) {
      throw new CheckFailed("le point de contrôle n'est pas celui du journal de cette clé.");
    }
    if (String(bundle.tree_size) !== lines[1]) {
      throw new CheckFailed("la taille de l'arbre ne correspond pas au point de contrôle signé.");
    }
    var root = hashOf(lines[2], "La racine du point de contrôle");
    var withheld = typeof bundle.entry.canonical_bytes !== "string";
    var leaf;
    var entryIndex = bundle.leaf_index;
    if (withheld) {
      leaf = hashOf(bundle.entry.leaf_hash, "L'empreinte de l'accès");
    } else {
      var entry = fromBase64(bundle.entry.canonical_bytes, "L'accès");
      leaf = await sha256(concat(Uint8Array.of(0), entry));
      try {
        entryIndex = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(entry))[1];
      } catch (error) {
        entryIndex = null;
      }
    }
    if (!Array.isArray(bundle.inclusion_proof)) {
      throw new CheckFailed("le chemin d'inclusion manque.");
    }
    var path = bundle.inclusion_proof.map(function (sibling) {
      return hashOf(sibling, "Une empreinte du chemin d'inclusion");
    });
    var computed = await rootFromInclusionPath(bundle.leaf_index, bundle.tree_size, leaf, path);
    if (!equal(computed, root)) {
      throw new CheckFailed(
        "l'empreinte de l'accès et son chemin d'inclusion ne mènent pas à la racine signée du journal."
      );
    }
    if (entryIndex !== bundle.leaf_index) {
      throw new CheckFailed("l'accès prouvé n'est pas à la position annoncée.");
    }
    return { origin: lines[0], size: bundle.tree_size, index: bundle.leaf_index, withheld: withheld };
  }

  function success(result) {
    var sentence =
      "Preuve vérifiée : l'accès n° " + result.index + " figure dans le journal signé « " +
      result.origin + " » de " + result.size.toLocaleString("fr-FR") +
      (result.size > 1 ? " entrées." : " entrée.");
    if (result.withheld) {
      sentence +=
        " La référence du dossier n'étant pas communiquée, la preuve porte sur l'empreinte de l'accès.";
    }
    return sentence;
  }

  async function check(container) {
    var response;
    try {
      response = await fetch(container.dataset.proofUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch (error) {
      throw new CannotCheck("la preuve n'a pas pu être téléchargée.");
    }
    if (!response.ok) {
      throw new CannotCheck("la preuve n'a pas pu être obtenue (erreur " + response.status + ").");
    }
    var bundle;
    try {
      bundle = await response.json();
    } catch (error) {
      throw new CheckFailed("la preuve reçue n'est pas du JSON.");
    }
    return success(await verifyBundle(bundle));
  }

  function describeFailure(error) {
    if (error instanceof CheckFailed) {
      return "Échec de la vérification : " + error.message;
    }
    if (error instanceof CannotCheck) {
      return "Vérification impossible : " + error.message;
    }
    return "Vérification impossible : erreur inattendue du navigateur.";
  }

  function start(button) {
    var container = button.closest("[data-proof-url]");
    var status = container.querySelector("[data-proof-result]");
    button.disabled = true;
    delete status.dataset.proofOutcome;
    status.textContent = "Vérification en cours…";
    check(container).then(
      function (sentence) {
        status.textContent = sentence;
        status.dataset.proofOutcome = "verified";
        button.disabled = false;
      },
      function (error) {
        status.textContent = describeFailure(error);
        status.dataset.proofOutcome = "failed";
        button.disabled = false;
      }
    );
  }

  function ready() {
    if (!window.crypto || !crypto.subtle) {
      return; // no WebCrypto (page not served over HTTPS): the download link remains
    }
    document.querySelectorAll("[data-verify-proof]").forEach(function (button) {
      button.hidden = false;
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-verify-proof]");
      if (button !== null) {
        start(button);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
